"""Integrity across services, through the gateway: references must name a record of the same Mission.

Every route that takes a reference to a person, an employer or a vacancy (gateway/routes/*.py) is sent a
made-up one and one of another Mission (MIRENA's, for a route of MIREC): each is a field-level 422, and
nothing is written; the same request with MIREC's own record goes through. An owner that does not run
makes the write fail within the budget (503 or 504), never accepted unchecked. Platform: MIREC and
MIRENA on a private broker node, the gateway in the test process (as test_gateway.py).
"""

from datetime import date, timedelta

import pytest
from werkzeug.test import Client

from gateway.app import Gateway
from gateway.auth import mint
from tests.harness import module_platform

pytestmark = pytest.mark.integration
MADE_UP = "made-up-person"
OPERATOR_BCE = "0403170701"
START, END = date.today() - timedelta(days=150), date.today() - timedelta(days=20)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(
        tmp_path_factory, "references", {"mirec": None, "mirena": ["beneficiary", "employer"]}, intermire=False
    )


@pytest.fixture(scope="module")
def client(platform):
    gateway = Gateway(
        platform.registry,
        environ={
            "PASSERELLE_ENV": "development",
            "PASSERELLE_RATE_PER_SECOND": "100000",
            "PASSERELLE_RATE_BURST": "100000",
        },
    )
    yield Client(gateway)
    gateway.rpc_clients.close()


@pytest.fixture(scope="module")
def world(platform):
    """MIREC's own records, and MIRENA's, that references will name."""
    mirec_employer = platform.new_employer("mirec", seed=181)
    mirena_employer = platform.new_employer("mirena", seed=182, province="90000")
    return {
        "person": platform.new_person("mirec", seed=181),
        "foreign_person": platform.new_person("mirena", seed=182, province="90000"),
        "employer": mirec_employer,
        "other_employer": platform.new_employer("mirec", seed=183),
        "vacancy": platform.new_vacancy("mirec", mirec_employer, posts=5),
        "foreign_employer": mirena_employer,
        "foreign_vacancy": platform.new_vacancy("mirena", mirena_employer),
    }


def headers(role):
    return {"Authorization": f"Bearer {mint(f't-{role}', 'mirec', [role])}"}


def refused(reply, *fields):
    assert reply.status_code == 422, (reply.status_code, reply.json)
    assert reply.content_type.startswith("application/problem+json")
    assert sorted(reply.json["errors"]) == sorted(fields), reply.json
    return reply.json["errors"]


def count(platform, service, table):
    return platform.scalar("mirec", service, f"SELECT count(*) FROM {table}")


def project_body(vacancy_id, employer_id):
    return {
        "title": "Maçons pour Gosselies",
        "vacancy_id": vacancy_id,
        "employer_id": employer_id,
        "employer_convention": {
            "post_title": "Maçon",
            "hires_committed": 1,
            "contract_type": "permanent",
            "hours_per_week": 38,
        },
        "training_convention": {
            "operators": [{"name": "Construform", "enterprise_number": OPERATOR_BCE}],
            "training_profile": "Maçon (SFMQ)",
            "specification": "Gros oeuvre",
            "hours_centre": 300,
            "hours_work": 220,
            "start_date": START.isoformat(),
            "end_date": END.isoformat(),
            "trainees_planned": 1,
        },
    }


def test_filling_a_vacancy_with_a_made_up_or_foreign_person_is_422(client, platform, world):
    url = f"/missions/mirec/vacancies/{world['vacancy']}/fill"
    agent = headers("employer_relations")
    for person in (MADE_UP, world["foreign_person"]):
        errors = refused(client.post(url, json={"beneficiary_id": person}, headers=agent), "beneficiary_id")
        assert errors["beneficiary_id"] == ["no person with this reference in this Mission"]
    assert platform.scalar("mirec", "employer", "SELECT filled FROM vacancy WHERE id = :v", v=world["vacancy"]) == 0
    filled = client.post(url, json={"beneficiary_id": world["person"]}, headers=agent)
    assert filled.status_code == 200 and filled.json["filled"] == 1


def test_a_contract_naming_another_mission_s_employer_is_422(client, platform, world):
    url = f"/missions/mirec/beneficiaries/{world['person']}/outcomes/contract"
    body = {
        "signed_on": (date.today() - timedelta(days=3)).isoformat(),
        "contract_type": "permanent",
        "hours_per_week": 38,
    }
    counsellor = headers("counsellor")
    for employer in (world["foreign_employer"], "made-up-employer"):
        refused(client.post(url, json=dict(body, employer_id=employer), headers=counsellor), "employer_id")
    assert count(platform, "beneficiary", "contract") == 0
    recorded = client.post(url, json=dict(body, employer_id=world["employer"]), headers=counsellor)
    assert recorded.status_code == 201, recorded.json


def test_a_project_needs_this_mission_s_employer_and_one_of_its_vacancies(client, platform, world):
    lead = headers("project_lead")
    refused(
        client.post(
            "/missions/mirec/projects",
            headers=lead,
            json=project_body(world["foreign_vacancy"], world["foreign_employer"]),
        ),
        "vacancy_id",
        "employer_id",
    )
    refused(
        client.post("/missions/mirec/projects", headers=lead, json=project_body("made-up", world["employer"])),
        "vacancy_id",
    )
    mismatch = refused(
        client.post(
            "/missions/mirec/projects", headers=lead, json=project_body(world["vacancy"], world["other_employer"])
        ),
        "vacancy_id",
    )
    assert mismatch["vacancy_id"] == ["this vacancy is not one of the employer_id given"]
    assert count(platform, "convention", "project") == 0
    created = client.post(
        "/missions/mirec/projects", headers=lead, json=project_body(world["vacancy"], world["employer"])
    )
    assert created.status_code == 201, created.json
    world["project"] = created.json["id"]


def test_internships_and_enrolments_need_this_mission_s_people_and_employers(client, platform, world):
    if "project" not in world:
        pytest.fail("the project of the previous test was not created")
    pid, counsellor = world["project"], headers("counsellor")
    internship = {
        "outcome": "confirmed",
        "start_date": (START - timedelta(days=15)).isoformat(),
        "end_date": (START - timedelta(days=5)).isoformat(),
    }
    url = f"/missions/mirec/projects/{pid}/internships"
    refused(client.post(url, headers=counsellor, json=dict(internship, beneficiary_id=MADE_UP)), "beneficiary_id")
    refused(
        client.post(
            url,
            headers=counsellor,
            json=dict(internship, beneficiary_id=world["foreign_person"], host_employer_id=world["foreign_employer"]),
        ),
        "beneficiary_id",
        "host_employer_id",
    )
    assert count(platform, "convention", "internship") == 0
    ok = client.post(
        url,
        headers=counsellor,
        json=dict(internship, beneficiary_id=world["person"], host_employer_id=world["employer"]),
    )
    assert ok.status_code == 201, ok.json
    enrolment = {"start_date": START.isoformat(), "planned_end": END.isoformat(), "tutor": {"name": "Jean Lemaire"}}
    for person in (MADE_UP, world["foreign_person"]):
        refused(
            client.post(
                f"/missions/mirec/projects/{pid}/trainees",
                headers=counsellor,
                json=dict(enrolment, beneficiary_id=person),
            ),
            "beneficiary_id",
        )
    assert count(platform, "convention", "trainee") == 0


def test_a_proposal_needs_a_vacancy_and_a_person_matching_knows_in_this_mission(client, platform, world):
    agent = headers("employer_relations")
    errors = refused(
        client.post(
            "/missions/mirec/matching/proposals",
            headers=agent,
            json={"vacancy_id": world["foreign_vacancy"], "beneficiary_id": MADE_UP},
        ),
        "vacancy_id",
        "beneficiary_id",
    )
    assert "in this Mission" in errors["vacancy_id"][0]
    assert count(platform, "matching", "proposal") == 0


def test_an_owner_that_does_not_answer_makes_the_write_fail_with_nothing_written(client, platform, world):
    next(s for s in platform.sites if s.code == "mirena").stop()
    platform.start("mirena", services=["beneficiary"])  # MIRENA's employer service no longer runs
    person = platform.new_person("mirena", seed=184, province="90000")
    reply = client.post(
        f"/missions/mirena/beneficiaries/{person}/outcomes/contract",
        headers={"Authorization": f"Bearer {mint('t-c', 'mirena', ['counsellor'])}"},
        json={
            "signed_on": (date.today() - timedelta(days=3)).isoformat(),
            "contract_type": "permanent",
            "hours_per_week": 38,
            "employer_id": world["foreign_employer"],
        },
    )
    assert reply.status_code in (503, 504), (reply.status_code, reply.json)
    assert reply.content_type.startswith("application/problem+json")
    assert platform.scalar("mirena", "beneficiary", "SELECT count(*) FROM contract") == 0
