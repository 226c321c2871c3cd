"""Corrections with history through the gateway, on the real broker and database (SQLite or PostgreSQL).

A person, an employer, a contact and a vacancy corrected at the version read; the history readable in the
file; a stale version answered 409 naming who corrected the file and when, with nothing written; a role
that may not answered 403; a corrected municipality reaching matching and the Mission's figures for the
person's later facts; an employer's corrected sector reaching reporting; and Le Forem, who receives the
person's registration under a legal basis, receiving nothing of the correction.
"""

import json
from datetime import date, timedelta

import pytest

from contracts.agency import catalogue
from gateway.auth import mint
from runtime.demo import DemoFactory
from tests.harness import module_platform, wait_until
from tests.integration.test_agency_delivery import Agencies

pytestmark = pytest.mark.integration
M = "/missions/mirec"
CHARLEROI, NAMUR = "52011", "92094"
TODAY = date.today()


def auth(sub, roles):
    return {"Authorization": f"Bearer {mint(sub, 'mirec', list(roles))}"}


ANNE = auth("anne.counsellor", ["counsellor"])
BRUNO = auth("bruno.counsellor", ["counsellor"])
LEAD = auth("paula.lead", ["project_lead"])
ERIC = auth("eric.agent", ["employer_relations"])
DORA = auth("dora.director", ["director"])


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(
        tmp_path_factory,
        "corrections",
        {"mirec": ["beneficiary", "employer", "matching", "reporting"]},
        intermire=False,
    )


@pytest.fixture(scope="module")
def person(client):
    body = DemoFactory(seed=2323).beneficiary() | {
        "municipality": CHARLEROI,
        "registered_on": (TODAY - timedelta(days=30)).isoformat(),
        "phone": "071 11 22 33",
        "disclosures": [
            {
                "agency": "forem",
                "basis": "legal_basis",
                "reference": "décret MIRE art. 5",
                "agency_reference": "FOREM-CORR-1",
                "given_on": (TODAY - timedelta(days=30)).isoformat(),
            }
        ],
    }
    reply = client.post(f"{M}/beneficiaries", json=body, headers=ANNE)
    assert reply.status_code == 201, reply.json
    assert reply.json["version"] == 1
    # Matching knows the person from an assessment, as it does before ranking anyone.
    assessed = client.post(
        f"{M}/beneficiaries/{reply.json['id']}/assessments",
        json={"competences": [{"code": "900001", "level": 2, "kind": "technical", "source": "work"}]},
        headers=ANNE,
    )
    assert assessed.status_code == 201, assessed.json
    return reply.json | {"body": body}


def file(client, pid):
    reply = client.get(f"{M}/beneficiaries/{pid}", headers=ANNE)
    assert reply.status_code == 200
    return reply.json


def corrections_of(client, pid, headers=ANNE):
    reply = client.get(f"{M}/beneficiaries/{pid}/corrections", headers=headers)
    assert reply.status_code == 200, reply.json
    return reply.json


def test_a_person_corrected_keeps_who_when_before_and_after(client, person, platform):
    pid = person["id"]
    reply = client.patch(
        f"{M}/beneficiaries/{pid}",
        json={"version": 1, "last_name": "Van Damme-Lefèvre", "phone": "0470 12 34 56", "municipality": NAMUR},
        headers=BRUNO,
    )
    assert reply.status_code == 200, reply.json
    assert (reply.json["version"], reply.json["last_name"], reply.json["municipality"]) == (
        2,
        "Van Damme-Lefèvre",
        NAMUR,
    )
    assert file(client, pid)["phone"] == "0470 12 34 56"
    (entry,) = corrections_of(client, pid)
    assert (entry["version"], entry["by"], entry["role"]) == (2, "bruno.counsellor", "counsellor")
    assert entry["changes"] == [
        {"field": "last_name", "before": person["last_name"], "after": "Van Damme-Lefèvre"},
        {"field": "municipality", "before": CHARLEROI, "after": NAMUR},
        {"field": "phone", "before": "071 11 22 33", "after": "0470 12 34 56"},
    ]
    # The search key follows the corrected name.
    found = client.post(f"{M}/beneficiaries/search", json={"q": "damme lefevre"}, headers=ANNE)
    assert [i["id"] for i in found.json["items"]] == [pid]


def test_a_stale_version_is_refused_409_naming_who_and_nothing_is_written(client, person, platform):
    pid = person["id"]
    before = file(client, pid)
    count = platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM correction")
    reply = client.patch(f"{M}/beneficiaries/{pid}", json={"version": 1, "first_name": "Écrasé"}, headers=ANNE)
    assert reply.status_code == 409
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert (reply.json["current_version"], reply.json["sent_version"]) == (2, 1)
    assert reply.json["changed_by"] == "bruno.counsellor" and reply.json["changed_at"]
    assert "version 2" in reply.json["detail"] and "reload" in reply.json["detail"]
    assert file(client, pid) == before
    assert platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM correction") == count


def test_roles_that_may_not_and_bad_input_are_refused_with_nothing_written(client, person, platform):
    pid = person["id"]
    before = file(client, pid)
    for headers in (LEAD, ERIC):
        assert (
            client.patch(f"{M}/beneficiaries/{pid}", json={"version": 2, "last_name": "X"}, headers=headers).status_code
            == 403
        )
    bad = client.patch(
        f"{M}/beneficiaries/{pid}",
        json={"version": 2, "municipality": "99999", "email": "pas une adresse", "niss": "85073100123"},
        headers=ANNE,
    )
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"municipality", "email", "niss"}
    missing = client.patch(f"{M}/beneficiaries/{pid}", json={"last_name": "Sans version"}, headers=ANNE)
    assert missing.status_code == 422 and "version" in missing.json["errors"]
    same = client.patch(f"{M}/beneficiaries/{pid}", json={"version": 2, "last_name": before["last_name"]}, headers=ANNE)
    assert same.status_code == 422
    assert file(client, pid) == before
    assert len(corrections_of(client, pid)) == 1


def test_a_corrected_municipality_reaches_matching(person, platform):
    wait_until(
        lambda: (
            platform.scalar(
                "mirec", "matching", "SELECT municipality FROM candidate WHERE beneficiary_id = :id", id=person["id"]
            )
            == NAMUR
        ),
        timeout=30,
        what="matching to hear the corrected municipality",
    )


def test_le_forem_receives_the_registration_and_nothing_of_the_correction(person, platform):
    agencies = Agencies(platform)
    agencies.settle()
    received = agencies.about("forem", "FOREM-CORR-1")
    assert [e["type"] for e in received] == [catalogue.REGISTERED], received
    for event in received:
        text = str(event)
        assert "Van Damme" not in text and "0470" not in text and NAMUR not in text
    assert agencies.unique("actiris") == []


# -- employers, contacts, vacancies ----------------------------------------------
@pytest.fixture(scope="module")
def employer(client):
    reply = client.post(f"{M}/employers", json=DemoFactory(seed=2324).employer(), headers=ERIC)
    assert reply.status_code == 201, reply.json
    contact = client.post(
        f"{M}/employers/{reply.json['id']}/contacts", json={"name": "Léa Martin", "function": "RH"}, headers=ERIC
    )
    assert contact.status_code == 201, contact.json
    return reply.json | {"contact": contact.json["id"]}


def test_an_employer_and_its_contact_corrected_and_its_account_manager_reassigned(client, employer):
    eid, cid = employer["id"], employer["contact"]
    fixed = client.patch(f"{M}/employers/{eid}", json={"version": 1, "street": "Rue de la Station 3"}, headers=ERIC)
    assert fixed.status_code == 200 and fixed.json["version"] == 2, fixed.json
    stale = client.patch(f"{M}/employers/{eid}", json={"version": 1, "name": "Trop tard SRL"}, headers=DORA)
    assert stale.status_code == 409 and stale.json["changed_by"] == "eric.agent"
    assert client.get(f"{M}/employers/{eid}", headers=ERIC).json["name"] == employer["name"]
    refused = client.post(
        f"{M}/employers/{eid}/account-manager", json={"version": 2, "account_manager": "x"}, headers=ERIC
    )
    assert refused.status_code == 403
    moved = client.post(
        f"{M}/employers/{eid}/account-manager", json={"version": 2, "account_manager": "fanny.agent"}, headers=DORA
    )
    assert moved.status_code == 200 and moved.json["account_manager"] == "fanny.agent", moved.json
    contact = client.patch(
        f"{M}/employers/{eid}/contacts/{cid}", json={"version": 1, "phone": "071 23 45 67"}, headers=ERIC
    )
    assert contact.status_code == 200 and contact.json["version"] == 2, contact.json
    assert client.patch(f"{M}/employers/{eid}/contacts/{cid}", json={"version": 2, "phone": "x"}, headers=ERIC).json[
        "errors"
    ] == {"phone": ["not a phone number"]}
    history = client.get(f"{M}/employers/{eid}/corrections", headers=ERIC).json
    assert [(e["version"], e["by"], [c["field"] for c in e["changes"]]) for e in history["employer"]] == [
        (3, "dora.director", ["account_manager"]),
        (2, "eric.agent", ["street"]),
    ]
    assert history["employer"][0]["changes"][0]["before"] == "eric.agent"
    assert history["contacts"][cid][0]["changes"] == [{"field": "phone", "before": None, "after": "071 23 45 67"}]


def test_a_vacancy_corrected_at_its_version_and_a_stale_edit_refused(client, employer, platform):
    vacancy = {
        "title": "Maçon",
        "occupation": "F1703",
        "description": "Gros oeuvre",
        "contract_type": "permanent",
        "hours_per_week": 38,
        "municipality": CHARLEROI,
        "posts": 2,
    }
    made = client.post(f"{M}/employers/{employer['id']}/vacancies", json=vacancy, headers=ERIC)
    assert made.status_code == 201 and made.json["version"] == 1, made.json
    vid = made.json["id"]
    changed = client.patch(f"{M}/vacancies/{vid}", json={"version": 1, "hours_per_week": 36}, headers=ERIC)
    assert changed.status_code == 200 and changed.json["version"] == 2
    stale = client.patch(f"{M}/vacancies/{vid}", json={"version": 1, "posts": 3}, headers=DORA)
    assert stale.status_code == 409 and stale.json["current_version"] == 2
    unversioned = client.patch(f"{M}/vacancies/{vid}", json={"posts": 3}, headers=ERIC)
    assert unversioned.status_code == 422 and "version" in unversioned.json["errors"]
    assert client.get(f"{M}/vacancies/{vid}", headers=ERIC).json["posts"] == 2
    history = client.get(f"{M}/employers/{employer['id']}/corrections", headers=ERIC).json["vacancies"][vid]
    assert history[0]["changes"] == [{"field": "hours_per_week", "before": 38, "after": 36}]


def test_a_corrected_municipality_counts_the_persons_later_facts_there(client, person, platform):
    wait_until(
        lambda: (
            platform.scalar(
                "mirec",
                "reporting",
                "SELECT count(*) FROM fact WHERE type = 'be.mire.beneficiary.corrected.v1' AND subject = :id",
                id=person["id"],
            )
            == 1
        ),
        timeout=30,
        what="reporting to log the correction",
    )
    moved = client.post(
        f"{M}/beneficiaries/{person['id']}/pathway/move", json={"to": "orientation", "why": None}, headers=ANNE
    )
    assert moved.status_code in (200, 201), moved.json
    month = TODAY.strftime("%Y-%m")

    def cells():
        reply = client.get(f"{M}/indicators/people_accompanied?period={month}&by=municipality", headers=DORA)
        assert reply.status_code == 200, reply.json
        return reply.json["cells"]

    # The move after the correction counts the person in Namur; their intake, a month ago, stays in Charleroi.
    wait_until(lambda: NAMUR in cells(), timeout=30, what="the move to be counted in the corrected municipality")
    intake_month = (TODAY - timedelta(days=30)).strftime("%Y-%m")
    if intake_month != month:
        entries = client.get(f"{M}/indicators/entries?period={intake_month}&by=municipality", headers=DORA).json
        assert CHARLEROI in entries["cells"] and NAMUR not in entries["cells"], entries


def test_an_employers_corrected_sector_reaches_reporting_and_no_agency(client, employer, platform):
    eid = employer["id"]
    now = client.get(f"{M}/employers/{eid}", headers=ERIC).json
    sector = "10.711" if now["nace"] != "10.711" else "43.999"
    fixed = client.patch(
        f"{M}/employers/{eid}",
        json={"version": now["version"], "nace": sector, "name": "Boulangerie Neuve SRL"},
        headers=ERIC,
    )
    assert fixed.status_code == 200, fixed.json
    wait_until(
        lambda: (
            platform.scalar("mirec", "reporting", "SELECT nace FROM employer_fact WHERE employer_id = :id", id=eid)
            == sector
        ),
        timeout=30,
        what="reporting to hear the corrected sector",
    )
    logged = platform.scalar_all(
        "mirec",
        "reporting",
        "SELECT data FROM fact WHERE type = 'be.mire.employer.corrected.v1' AND subject = :id",
        id=eid,
    )
    # The street's correction and this one; the account manager's reassignment is told to no one.
    facts = sorted((json.loads(d) if isinstance(d, str) else d for d in logged), key=lambda d: d["version"])
    assert [(d["version"], d["fields"]) for d in facts] == [(2, ["street"]), (4, ["name", "nace"])]
    assert "Boulangerie" not in str(facts) and "Station" not in str(facts), "names stay in the employer's history"
    agencies = Agencies(platform)
    agencies.settle()
    for agency in ("forem", "actiris"):
        assert not [e for e in agencies.unique(agency) if e["type"].startswith("be.mire.employer.")]
