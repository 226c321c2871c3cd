"""Subject access (GDPR art. 15) through the gateway, on a real Mission site and broker.

A person's file is built through the services (intake, assessment, plan, notes of two kinds and a first
contract); matching learns the person from the assessment and gets a proposal; the convention service's
records (an internship, an enrolment and its move) are written in its database, as its own use cases would
after a signed convention (which the convention tests cover). Then a director and the data-protection
officer each ask every service's part through the gateway: each part holds what that service holds, the
beneficiary part its own audit row included; a counsellor is refused with 403 and nothing is written.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from convention.models import Internship, Project, Trainee, TraineeTransition

from gateway.auth import mint
from kit.actor import Actor
from runtime.demo import DemoFactory
from tests.harness import TestPlatform, bearer, gateway_client, wait_until

pytestmark = pytest.mark.integration
COUNSELLOR = Actor("anne.counsellor", "mirec", ("counsellor",))
SOCIAL_NOTE = "Logement précaire, suivi par le CPAS de Charleroi depuis mars"
LEAD_NOTE = "Progresse bien en maçonnerie, à revoir en juin pour le chantier-école"
PARTS = ("beneficiary", "convention", "matching")


@pytest.fixture
def platform(tmp_path):
    p = TestPlatform(tmp_path, missions=("mirec",), intermire=False).setup()
    try:
        p.start("mirec")
        yield p
    finally:
        p.teardown()


@pytest.fixture
def client(platform):
    with gateway_client(platform) as client:
        yield client


def auth(role: str) -> dict:
    return bearer("mirec", role, f"test-{role}")


def convention_records(platform, person: str) -> tuple[str, str]:
    """A project, with the person's internship and enrolment (and its first move), in the convention database."""
    now = datetime.now(UTC)
    project, internship, trainee = (str(uuid.uuid4()) for _ in range(3))
    engine = platform.engine("mirec", "convention")
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.insert(Project.__table__).values(
                    id=project,
                    title="Chantier-école maçonnerie",
                    vacancy_id=str(uuid.uuid4()),
                    employer_id=str(uuid.uuid4()),
                    created_at=now,
                    created_by="paula.lead",
                )
            )
            conn.execute(
                sa.insert(Internship.__table__).values(
                    id=internship,
                    project_id=project,
                    beneficiary_id=person,
                    start_date=date.today() - timedelta(days=30),
                    end_date=date.today() - timedelta(days=20),
                    outcome="confirmed",
                    recorded_at=now,
                    recorded_by="anne.counsellor",
                )
            )
            conn.execute(
                sa.insert(Trainee.__table__).values(
                    id=trainee,
                    project_id=project,
                    beneficiary_id=person,
                    internship_id=internship,
                    status="in_training",
                    start_date=date.today() - timedelta(days=10),
                    planned_end=date.today() + timedelta(days=80),
                    tutor_name="Jean Lemaire",
                    enrolled_at=now,
                )
            )
            conn.execute(
                sa.insert(TraineeTransition.__table__).values(
                    trainee_id=trainee,
                    from_status=None,
                    to_status="in_training",
                    on=date.today() - timedelta(days=10),
                    at=now,
                    by="anne.counsellor",
                    role="counsellor",
                )
            )
    finally:
        engine.dispose()
    return internship, trainee


def test_a_director_and_the_dpo_get_every_service_s_part_and_a_counsellor_gets_403(platform, client):
    rpc = platform.rpc
    person = rpc("mirec", "beneficiary", "register", DemoFactory(seed=1515).beneficiary("50000"), actor=COUNSELLOR)
    pid = person["id"]
    competences = [
        {"code": "900001", "level": 2, "kind": "technical", "source": "work"},
        {"code": "900002", "level": 3, "kind": "behavioural", "source": "other"},
    ]
    rpc("mirec", "beneficiary", "assess", pid, {"competences": competences}, actor=COUNSELLOR)
    plan = {
        "target_occupations": ["F1703"],
        "missing_competences": ["900003"],
        "actions": [{"kind": "confirmation_internship", "description": "deux semaines chez un maçon"}],
        "contract_wishes": ["permanent"],
        "mobility_km": 25,
        "agreed_with_person": True,
    }
    rpc("mirec", "beneficiary", "agree_plan", pid, plan, actor=COUNSELLOR)
    rpc("mirec", "beneficiary", "add_note", pid, {"kind": "social", "text": SOCIAL_NOTE}, actor=COUNSELLOR)
    rpc("mirec", "beneficiary", "add_note", pid, {"kind": "pedagogical", "text": LEAD_NOTE}, actor=COUNSELLOR)
    employer = platform.new_employer("mirec")
    vacancy = platform.new_vacancy("mirec", employer)
    # Matching knows the person from the assessment, and the vacancy from its opening.
    proposal = wait_until(
        lambda: _try(lambda: rpc("mirec", "matching", "propose", vacancy, pid, actor=COUNSELLOR)),
        what="matching knowing the person and the vacancy",
    )
    rpc("mirec", "matching", "move_proposal", proposal["id"], "presented", actor=COUNSELLOR)
    internship, trainee = convention_records(platform, pid)
    signed = {
        "signed_on": date.today().isoformat(),
        "employer_id": employer,
        "contract_type": "permanent",
        "hours_per_week": 38,
    }
    rpc("mirec", "beneficiary", "record_contract", pid, signed, actor=COUNSELLOR)
    wait_until(
        lambda: (
            platform.scalar("mirec", "matching", "SELECT state FROM proposal WHERE id = :p", p=proposal["id"])
            == "withdrawn"
        ),
        what="matching placing the person",
    )

    def part(service: str, role: str):
        return client.get(f"/missions/mirec/beneficiaries/{pid}/access/{service}", headers=auth(role))

    # A counsellor may not: 403 from every part, and no audit row written.
    audit_rows = platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM audit")
    for service in PARTS:
        assert part(service, "counsellor").status_code == 403, service
    assert platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM audit") == audit_rows

    for role in ("director", "dpo"):
        replies = {service: part(service, role) for service in PARTS}
        assert {s: r.status_code for s, r in replies.items()} == dict.fromkeys(PARTS, 200), role
        mine = replies["beneficiary"].json
        assert mine["file"]["id"] == pid and mine["file"]["last_name"] == person["last_name"]
        assert mine["file"]["niss"] and mine["file"]["status"] == "active"
        assert {n["text"] for n in mine["notes"]} == {SOCIAL_NOTE, LEAD_NOTE}
        assert {n["kind"] for n in mine["notes"]} == {"social", "pedagogical"}
        assert [p["version"] for p in mine["plans"]] == [1]
        assert [c["code"] for c in mine["assessments"][0]["competences"]] == ["900001", "900002"]
        assert mine["contract"]["employer_id"] == employer and mine["contract"]["check_due"]
        assert [s["kind"] for s in mine["path"]][0] == "entered"
        assert mine["target_groups"] == [] or all(g["beneficiary_id"] == pid for g in mine["target_groups"])
        assert mine["transfers"] == []  # never handed over (tests/integration/test_transfer.py lists some)
        # The audit trail about the file, this very read included, under who asked.
        actions = {a["action"] for a in mine["audit"]}
        assert {"beneficiary.assess", "beneficiary.agree_plan", "beneficiary.subject_access"} <= actions
        assert mine["audit"][-1]["action"] == "beneficiary.subject_access"
        assert mine["audit"][-1]["actor"] == f"test-{role}"
        assert mine["audit"][-1]["purpose"] == "subject_access"

        training = replies["convention"].json
        assert [i["id"] for i in training["internships"]] == [internship]
        assert training["internships"][0]["project_title"] == "Chantier-école maçonnerie"
        (record,) = training["trainee_records"]
        assert record["id"] == trainee and record["tutor_name"] == "Jean Lemaire"
        assert [m["to_status"] for m in record["moves"]] == ["in_training"]

        placing = replies["matching"].json
        assert placing["candidate"]["beneficiary_id"] == pid
        (proposed,) = placing["proposals"]
        assert proposed["id"] == proposal["id"] and proposed["vacancy_id"] == vacancy
        # Presented, then withdrawn by matching itself when the contract placed the person.
        assert [s["to_state"] for s in proposed["steps"]] == ["proposed", "presented", "withdrawn"]
        assert placing["candidate"]["placed_on"] == date.today().isoformat()

    # Two subject-access reads, one per role that may; the counsellor's refusals wrote nothing.
    assert (
        platform.scalar(
            "mirec", "beneficiary", "SELECT count(*) FROM audit WHERE action = 'beneficiary.subject_access'"
        )
        == 2
    )
    # Another Mission's director reaches nothing of this one.
    other = {"Authorization": f"Bearer {mint('test-director', 'mirena', ['director'])}"}
    assert client.get(f"/missions/mirec/beneficiaries/{pid}/access/beneficiary", headers=other).status_code in (
        403,
        404,
    )
    # A file the Mission does not hold: 404.
    unknown = str(uuid.uuid4())
    assert (
        client.get(f"/missions/mirec/beneficiaries/{unknown}/access/beneficiary", headers=auth("dpo")).status_code
        == 404
    )


def _try(call):
    try:
        return call()
    except Exception:
        return None
