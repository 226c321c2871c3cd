"""Orientations out, through the gateway on the real broker: a person oriented to a partner's service, its
outcome recorded, both in the file, and counted in the Mission's indicators by partner type and outcome.

The partner's service is checked in the employer service's partner directory when the orientation is made
(``kit.references``, kind ``partner_service``); the directory's organisations and services are made through
the employer service's routes (``/partners``), as an employer-relations agent makes them.
"""

import uuid
from datetime import date, timedelta

import pytest

from tests.harness import bearer, module_platform, wait_until

pytestmark = pytest.mark.integration
PLAN = {
    "target_occupations": ["F1703"],
    "missing_competences": ["900003"],
    "actions": [{"kind": "job_search", "description": "recherche active", "due": "2027-01-15"}],
    "contract_wishes": ["permanent"],
    "mobility_km": 25,
    "agreed_with_person": True,
}
COUNSELLOR = bearer("mirec", "counsellor", "anne")


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(tmp_path_factory, "orientations", {"mirec": None})


AGENT = bearer("mirec", "employer_relations", "paul")


def partner_service(client, partner_type: str, withdrawn: bool = False) -> str:
    """A partner organisation of MIREC's directory offering one service, through the employer routes; the service's
    id (withdrawn by its partner when asked)."""
    organisation = {"name": f"Partenaire {partner_type}", "partner_type": partner_type, "municipalities": ["52011"]}
    made = client.post("/missions/mirec/partners", json=organisation, headers=AGENT)
    assert made.status_code == 201, made.json
    service = {"title": "Service logement", "description": "Aide à la recherche de logement", "needs": ["housing"]}
    offered = client.post(f"/missions/mirec/partners/{made.json['id']}/services", json=service, headers=AGENT)
    assert offered.status_code == 201, offered.json
    if withdrawn:
        path = f"/missions/mirec/partners/{made.json['id']}/services/{offered.json['id']}/withdraw"
        assert client.post(path, headers=AGENT).status_code == 200
    return offered.json["id"]


@pytest.fixture(scope="module")
def person(client, platform):
    pid = platform.new_person("mirec")
    assert client.post(f"/missions/mirec/beneficiaries/{pid}/plan", json=PLAN, headers=COUNSELLOR).status_code == 201
    return pid


def orient(client, pid, service_id, **changes):
    body = {
        "service_id": service_id,
        "purpose": "Recherche d'un logement avant l'entrée en formation",
        "appointment_on": (date.today() + timedelta(days=7)).isoformat(),
        "shared": ["contact_details", "orientation_reason"],
        "consent": True,
        **changes,
    }
    return client.post(f"/missions/mirec/beneficiaries/{pid}/orientations", json=body, headers=COUNSELLOR)


def outcome(client, pid, oid, headers=COUNSELLOR, **body):
    return client.post(f"/missions/mirec/beneficiaries/{pid}/orientations/{oid}/outcome", json=body, headers=headers)


def test_an_orientation_and_its_outcome_are_in_the_file(client, platform, person):
    service = partner_service(client, "cpas")
    made = orient(client, person, service)
    assert made.status_code == 201, made.json
    o = made.json
    assert (o["status"], o["partner_type"], o["plan_version"], o["version"]) == ("planned", "cpas", 1, 1)
    assert o["shared"] == ["contact_details", "orientation_reason"] and o["consent"] is True

    attended = outcome(client, person, o["id"], outcome="attended", version=1)
    assert attended.status_code == 200, attended.json
    assert (attended.json["status"], attended.json["version"]) == ("attended", 2)
    # a second counsellor who read version 1 is told who recorded the outcome since
    stale = outcome(client, person, o["id"], outcome="cancelled", version=1)
    assert stale.status_code == 409, stale.json
    assert stale.json["current_version"] == 2 and stale.json["changed_by"] == "anne"
    # attended, it can no longer be cancelled: done or not taken up
    refused = outcome(client, person, o["id"], outcome="cancelled", version=2)
    assert refused.status_code == 422 and "outcome" in refused.json["errors"], refused.json
    done = outcome(client, person, o["id"], outcome="done", version=2)
    assert done.status_code == 200 and done.json["status"] == "done", done.json

    file = client.get(f"/missions/mirec/beneficiaries/{person}", headers=COUNSELLOR)
    assert file.status_code == 200
    listed = {x["id"]: x for x in file.json["orientations"]}
    assert listed[o["id"]]["status"] == "done" and listed[o["id"]]["partner_type"] == "cpas"
    own = client.get(f"/missions/mirec/beneficiaries/{person}/orientations", headers=COUNSELLOR)
    assert own.status_code == 200 and [x["status"] for x in own.json if x["id"] == o["id"]] == ["done"]
    # a director reads them with the file but does not orient
    director = bearer("mirec", "director")
    assert client.get(f"/missions/mirec/beneficiaries/{person}/orientations", headers=director).status_code == 200
    assert orient(client, person, service).status_code == 201
    assert outcome(client, person, o["id"], headers=director, outcome="done", version=3).status_code == 403


def test_a_withdrawn_or_unknown_service_is_refused_on_its_field(client, platform, person):
    withdrawn = partner_service(client, "ale", withdrawn=True)
    before = platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM orientation")
    for service in (withdrawn, str(uuid.uuid4())):
        reply = orient(client, person, service)
        assert reply.status_code == 422, reply.json
        assert list(reply.json["errors"]) == ["service_id"]
    assert platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM orientation") == before


def test_sharing_needs_consent_and_not_taken_up_needs_a_reason(client, platform, person):
    service = partner_service(client, "oisp")
    no_consent = orient(client, person, service, consent=False)
    assert no_consent.status_code == 422 and list(no_consent.json["errors"]) == ["consent"], no_consent.json
    notes = orient(client, person, service, shared=["notes"])
    assert notes.status_code == 422 and "shared" in notes.json["errors"], notes.json
    nothing_shared = orient(client, person, service, shared=[], consent=False)
    assert nothing_shared.status_code == 201, nothing_shared.json
    oid = nothing_shared.json["id"]
    no_reason = outcome(client, person, oid, outcome="not_taken_up", version=1)
    assert no_reason.status_code == 422 and list(no_reason.json["errors"]) == ["reason"], no_reason.json
    taken = outcome(client, person, oid, outcome="not_taken_up", reason="garde d'enfant impossible", version=1)
    assert taken.status_code == 200 and taken.json["outcome_reason"] == "garde d'enfant impossible"
    # someone else's orientation is not found through this file
    other = platform.new_person("mirec")
    assert outcome(client, other, oid, outcome="done", version=2).status_code == 404


def test_the_missions_indicators_count_orientations_by_partner_type_and_outcome(client, platform, person):
    service = partner_service(client, "health_social_service")
    made = orient(client, person, service)
    assert made.status_code == 201
    assert outcome(client, person, made.json["id"], outcome="cancelled", version=1).status_code == 200
    period = date.today().strftime("%Y-%m")
    director = bearer("mirec", "director")

    def figure(name, by):
        reply = client.get(f"/missions/mirec/indicators/{name}?period={period}&by={by}", headers=director)
        assert reply.status_code == 200, reply.json
        return reply.json

    # earlier tests oriented to a CPAS (twice) and a training operator, with outcomes attended, done, not taken up
    wait_until(
        lambda: (
            figure("orientation_outcomes", "orientation_outcome")["cells"]
            == {"attended": 1, "done": 1, "not_taken_up": 1, "cancelled": 1}
        ),
        what="the outcomes counted",
    )
    by_type = figure("orientations", "partner_type")
    assert by_type["cells"] == {"cpas": 2, "oisp": 1, "health_social_service": 1} and by_type["total"] == 4
    outcomes = figure("orientation_outcomes", "partner_type")
    assert outcomes["cells"] == {"cpas": 2, "oisp": 1, "health_social_service": 1}


def test_the_persons_copy_holds_their_orientations_and_erasure_removes_them(client, platform):
    pid = platform.new_person("mirec")
    made = orient(client, pid, partner_service(client, "commune_service"))
    assert made.status_code == 201
    copy = client.get(f"/missions/mirec/beneficiaries/{pid}/access/beneficiary", headers=bearer("mirec", "dpo"))
    assert copy.status_code == 200, copy.json
    assert [o["id"] for o in copy.json["orientations"]] == [made.json["id"]]
    assert copy.json["orientations"][0]["purpose"].startswith("Recherche")
    assert client.delete(f"/missions/mirec/beneficiaries/{pid}", headers=bearer("mirec", "director")).status_code == 200
    left = platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM orientation WHERE beneficiary_id = :p", p=pid)
    assert left == 0
