"""Meetings with partner organisations (the CLAIS forum) on a real Mission site, through the gateway.

A meeting about a project with two partner organisations of the directory: planned with its agenda, its
minutes recorded (attendance, staff present, decisions) which close it, listed by project, by organisation
and by date; its two events told through the outbox and logged by reporting, with references, counts and
dates only; closed minutes corrected at the version read, a stale correction 409 with nothing written. Bad
input refused on its field with nothing written: an unknown organisation or project, a field for a person, an
organisation not invited in the attendance or acting on a decision, minutes of a meeting still to come. A
counsellor reads the meetings and may not write them (403).
"""

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from runtime.demo import DemoFactory
from tests.harness import bearer, module_platform, wait_until

pytestmark = pytest.mark.integration
M = "/missions/mirec"
LEAD = bearer("mirec", "project_lead", "paula.lead")
AGENT = bearer("mirec", "employer_relations", "eric.agent")
DIRECTOR = bearer("mirec", "director", "dora.director")
COUNSELLOR = bearer("mirec", "counsellor", "anne.counsellor")
UNKNOWN_REF = "00000000-0000-0000-0000-000000000000"
OPERATOR_BCE = "0403170701"
TODAY = date.today()
HELD = TODAY - timedelta(days=2)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(tmp_path_factory, "meetings", {"mirec": None})


def new_partner(client, name: str, partner_type: str) -> str:
    """A partner organisation of the Mission's directory, through the employer's routes."""
    body = {
        "name": name,
        "partner_type": partner_type,
        "municipalities": ["52011"],
        "contact": {"phone": "071 12 34 56", "email": "accueil@example.be"},
    }
    reply = client.post(f"{M}/partners", json=body, headers=AGENT)
    assert reply.status_code == 201, reply.json
    return reply.json["id"]


@pytest.fixture(scope="module")
def network(client, platform):
    """A project of the Mission and three partner organisations (two invited, one not)."""
    eid = client.post(f"{M}/employers", json=DemoFactory(seed=2701).employer("50000"), headers=AGENT).json["id"]
    vacancy = client.post(
        f"{M}/employers/{eid}/vacancies",
        headers=AGENT,
        json={
            "title": "Maçon",
            "occupation": "F1703",
            "description": "Gros oeuvre",
            "contract_type": "permanent",
            "hours_per_week": 30,
            "municipality": "52011",
            "posts": 2,
        },
    ).json
    assert "id" in vacancy, vacancy
    assert client.post(f"{M}/vacancies/{vacancy['id']}/open", headers=AGENT).status_code == 200
    project = client.post(
        f"{M}/projects",
        headers=LEAD,
        json={
            "title": "Maçons à Charleroi-Nord",
            "vacancy_id": vacancy["id"],
            "employer_id": eid,
            "employer_convention": {
                "post_title": "Maçon",
                "hires_committed": 2,
                "contract_type": "permanent",
                "hours_per_week": 30,
            },
            "training_convention": {
                "operators": [{"name": "Form'Action", "enterprise_number": OPERATOR_BCE}],
                "training_profile": "Maçon (SFMQ)",
                "specification": "Gros oeuvre",
                "hours_centre": 200,
                "hours_work": 150,
                "start_date": (TODAY + timedelta(days=30)).isoformat(),
                "end_date": (TODAY + timedelta(days=150)).isoformat(),
                "trainees_planned": 2,
            },
        },
    )
    assert project.status_code == 201, project.json
    return {
        "project": project.json["id"],
        "cpas": new_partner(client, "CPAS de Charleroi", "cpas"),
        "ale": new_partner(client, "ALE de Charleroi", "ale"),
        "other": new_partner(client, "Régie de quartier de Marchienne", "other"),
    }


def plan(network, **changes):
    return {
        "title": "Plateforme CLAIS Charleroi-Nord",
        "held_on": HELD.isoformat(),
        "starts_at": "09:30",
        "place": "Maison de l'emploi, Charleroi",
        "project_ids": [network["project"]],
        "partner_ids": [network["cpas"], network["ale"]],
        "agenda": [
            {"title": "Présentation du projet maçons", "detail": "Calendrier et places"},
            {"title": "Orientation des candidats par les partenaires"},
        ],
        **changes,
    }


def minutes(network, **changes):
    return {
        "attendance": [
            {"partner_id": network["cpas"], "status": "present"},
            {"partner_id": network["ale"], "status": "excused"},
        ],
        "staff_present": [{"name": "Paula Lead", "function": "cheffe de projet"}],
        "decisions": [
            {"text": "Envoyer le calendrier aux partenaires", "acts": "mission", "due_on": TODAY.isoformat()},
            {
                "text": "Informer les bénéficiaires du RIS intéressés",
                "acts": network["cpas"],
                "due_on": (TODAY + timedelta(days=14)).isoformat(),
            },
        ],
        **changes,
    }


def meeting_events(platform):
    engine = platform.engine("mirec", "convention")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT routing_key, payload, sent_at FROM outbox WHERE routing_key LIKE :kind ORDER BY seq"),
            {"kind": "%meeting%"},
        ).all()
    engine.dispose()
    return [(r[0].split(".")[3], json.loads(r[1]), r[2]) for r in rows]


def test_a_meeting_planned_held_listed_and_corrected(client, platform, network):
    planned = client.post(f"{M}/meetings", json=plan(network), headers=LEAD)
    assert planned.status_code == 201, planned.json
    meeting = planned.json
    mid = meeting["id"]
    assert meeting["status"] == "planned" and meeting["version"] == 1
    assert [i["title"] for i in meeting["agenda"]] == [
        "Présentation du projet maçons",
        "Orientation des candidats par les partenaires",
    ]
    assert meeting["projects"] == [{"id": network["project"], "title": "Maçons à Charleroi-Nord"}]
    invited = {p["partner_id"]: (p["partner_type"], p["attendance"]) for p in meeting["partners"]}
    assert invited == {network["cpas"]: ("cpas", None), network["ale"]: ("ale", None)}

    # A counsellor reads the Mission's meetings and may not write them.
    assert client.get(f"{M}/meetings/{mid}", headers=COUNSELLOR).status_code == 200
    assert client.post(f"{M}/meetings", json=plan(network), headers=COUNSELLOR).status_code == 403
    assert client.post(f"{M}/meetings/{mid}/minutes", json=minutes(network), headers=COUNSELLOR).status_code == 403

    held = client.post(f"{M}/meetings/{mid}/minutes", json=minutes(network), headers=AGENT)
    assert held.status_code == 200, held.json
    assert (held.json["status"], held.json["version"], held.json["closed_by"]) == ("closed", 1, "eric.agent")
    assert {p["partner_id"]: p["attendance"] for p in held.json["partners"]} == {
        network["cpas"]: "present",
        network["ale"]: "excused",
    }
    assert [d["acts"] for d in held.json["decisions"]] == ["mission", network["cpas"]]
    again = client.post(f"{M}/meetings/{mid}/minutes", json=minutes(network), headers=AGENT)
    assert again.status_code == 422 and list(again.json["errors"]) == ["status"]

    # Listed by project, by organisation invited and by date; not under an organisation not invited.
    def listed(query):
        reply = client.get(f"{M}/meetings?{query}", headers=COUNSELLOR)
        assert reply.status_code == 200, reply.json
        return [m["id"] for m in reply.json["items"]]

    assert listed(f"project_id={network['project']}") == [mid]
    assert listed(f"partner_id={network['ale']}") == [mid]
    assert listed(f"partner_id={network['other']}") == []
    assert listed(f"date_from={HELD.isoformat()}&date_to={TODAY.isoformat()}") == [mid]
    assert listed(f"date_from={TODAY.isoformat()}") == []
    assert listed(f"project_id={network['project']}&partner_id={network['cpas']}&date_to={HELD.isoformat()}") == [mid]
    assert client.get(f"{M}/meetings?date_from=2026-13-01", headers=COUNSELLOR).status_code == 422

    # Told through the outbox: references, counts and dates, never the decisions' text; logged by reporting.
    told = meeting_events(platform)
    assert [t for t, _, _ in told] == ["meeting_held", "meeting_decisions_recorded"]
    held_event, decided_event = told[0][1]["data"], told[1][1]["data"]
    assert (held_event["invited"], held_event["present"], held_event["excused"]) == (2, 1, 1)
    assert held_event["partners_present"] == [network["cpas"]]
    assert decided_event["decisions"] == [
        {"acts": "mission", "due_on": TODAY.isoformat()},
        {"acts": network["cpas"], "due_on": (TODAY + timedelta(days=14)).isoformat()},
    ]
    payloads = json.dumps([payload for _, payload, _ in told])
    assert "Informer" not in payloads and "Paula" not in payloads
    wait_until(
        lambda: (
            platform.scalar("mirec", "reporting", "SELECT count(*) FROM fact WHERE type LIKE :kind", kind="%meeting%")
            == 2
        ),
        what="the meeting's two facts logged by reporting",
    )

    # Closed minutes are corrected at the version read; a stale version is 409 and nothing is written.
    fixed = minutes(network)["attendance"][:1] + [{"partner_id": network["ale"], "status": "present"}]
    corrected = client.patch(f"{M}/meetings/{mid}/minutes", json={"version": 1, "attendance": fixed}, headers=LEAD)
    assert corrected.status_code == 200, corrected.json
    assert corrected.json["version"] == 2
    assert corrected.json["corrections"][0]["changes"][0]["field"] == "attendance"
    stale = client.patch(f"{M}/meetings/{mid}/minutes", json={"version": 1, "decisions": []}, headers=DIRECTOR)
    assert stale.status_code == 409
    assert (stale.json["current_version"], stale.json["sent_version"], stale.json["changed_by"]) == (
        2,
        1,
        "paula.lead",
    )
    after = client.get(f"{M}/meetings/{mid}", headers=COUNSELLOR).json
    assert len(after["decisions"]) == 2 and after["version"] == 2
    assert platform.scalar("mirec", "convention", "SELECT count(*) FROM correction") == 1
    assert [t for t, d, _ in meeting_events(platform)][2:] == ["meeting_held"]
    assert meeting_events(platform)[2][1]["data"]["version"] == 2
    nothing = client.patch(f"{M}/meetings/{mid}/minutes", json={"version": 2, "attendance": fixed}, headers=LEAD)
    assert nothing.status_code == 422


def test_bad_input_is_refused_on_its_field_with_nothing_written(client, platform, network):
    count = platform.scalar("mirec", "convention", "SELECT count(*) FROM meeting")
    invitations = platform.scalar("mirec", "convention", "SELECT count(*) FROM meeting_partner")

    unknown_partner = client.post(
        f"{M}/meetings", json=plan(network, partner_ids=[network["cpas"], UNKNOWN_REF]), headers=LEAD
    )
    assert unknown_partner.status_code == 422 and list(unknown_partner.json["errors"]) == ["partner_ids"]
    unknown_project = client.post(f"{M}/meetings", json=plan(network, project_ids=[UNKNOWN_REF]), headers=LEAD)
    assert unknown_project.status_code == 422 and list(unknown_project.json["errors"]) == ["project_ids"]
    twice = client.post(
        f"{M}/meetings", json=plan(network, partner_ids=[network["cpas"], network["cpas"]]), headers=LEAD
    )
    assert twice.status_code == 422 and list(twice.json["errors"]) == ["partner_ids"]
    # No field for a person: a meeting is about projects and organisations.
    person = client.post(f"{M}/meetings", json=plan(network, beneficiary_id=UNKNOWN_REF), headers=LEAD)
    assert person.status_code == 422 and "beneficiary_id" in person.json["errors"]
    assert platform.scalar("mirec", "convention", "SELECT count(*) FROM meeting") == count
    assert platform.scalar("mirec", "convention", "SELECT count(*) FROM meeting_partner") == invitations

    upcoming = client.post(
        f"{M}/meetings", json=plan(network, held_on=(TODAY + timedelta(days=7)).isoformat()), headers=LEAD
    )
    assert upcoming.status_code == 201
    early = client.post(f"{M}/meetings/{upcoming.json['id']}/minutes", json=minutes(network), headers=LEAD)
    assert early.status_code == 422 and list(early.json["errors"]) == ["held_on"]

    mid = client.post(f"{M}/meetings", json=plan(network, project_ids=[]), headers=DIRECTOR).json["id"]
    outsider = minutes(network)
    outsider["attendance"].append({"partner_id": network["other"], "status": "present"})
    refused = client.post(f"{M}/meetings/{mid}/minutes", json=outsider, headers=LEAD)
    assert refused.status_code == 422 and refused.json["errors"] == {
        "attendance": {"2": {"partner_id": ["this organisation was not invited to the meeting"]}}
    }
    missing = minutes(network, attendance=minutes(network)["attendance"][:1])
    assert client.post(f"{M}/meetings/{mid}/minutes", json=missing, headers=LEAD).status_code == 422
    acting = minutes(network)
    acting["decisions"][1]["acts"] = network["other"]
    acting["decisions"][0]["due_on"] = (HELD - timedelta(days=1)).isoformat()
    refused = client.post(f"{M}/meetings/{mid}/minutes", json=acting, headers=LEAD)
    assert refused.status_code == 422 and set(refused.json["errors"]["decisions"]) == {"0", "1"}
    assert client.get(f"{M}/meetings/{mid}", headers=LEAD).json["status"] == "planned"
    assert client.get(f"{M}/meetings/{UNKNOWN_REF}", headers=LEAD).status_code == 404
    not_closed = client.patch(f"{M}/meetings/{mid}/minutes", json={"version": 1, "decisions": []}, headers=LEAD)
    assert not_closed.status_code == 422 and list(not_closed.json["errors"]) == ["status"]
