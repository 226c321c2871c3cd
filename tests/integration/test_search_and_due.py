"""Search, caseload and what is due through the gateway, on the real broker and database (SQLite or PostgreSQL).

Accent- and case-insensitive search must answer the same on both databases: the pass with
``PASSERELLE_TEST_DATABASE=postgresql`` runs these very assertions. The due and overdue counts are read
from the site's ``/metrics``, as Prometheus scrapes them.
"""

import json
import logging
import os
from datetime import date, timedelta

import pytest

from gateway.auth import mint
from runtime.demo import DemoFactory
from tests.harness import TestPlatform, wait_until

pytestmark = pytest.mark.integration
TODAY = date.today()
NAMES = [
    ("Éloïse", "Van den Bœuf"),
    ("François", "D'Hondt"),
    ("Jean-Marie", "Lefèvre"),
    ("Marie", "LEFEBVRE"),
    ("Zoé", "Çelik"),
]


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    # The due counts are measured at start and then every second, so the test sees them change.
    os.environ["PASSERELLE_DUE_METRICS_INTERVAL"] = "1"
    p = TestPlatform(tmp_path_factory.mktemp("search"), missions=("mirec", "mirena"), intermire=False).setup()
    try:
        p.start("mirec", services=["beneficiary", "employer", "convention"])
        p.start("mirena", services=["beneficiary"])
        yield p
    finally:
        os.environ.pop("PASSERELLE_DUE_METRICS_INTERVAL", None)
        p.teardown()


def auth(sub, roles, mission="mirec"):
    return {"Authorization": f"Bearer {mint(sub, mission, list(roles))}"}


ANNE = auth("anne.counsellor", ["counsellor"])
BRUNO = auth("bruno.counsellor", ["counsellor"])
ERIC = auth("eric.agent", ["employer_relations"])


@pytest.fixture(scope="module")
def people(client):
    made = {}
    for seed, (first, last) in enumerate(NAMES, start=700):
        body = dict(DemoFactory(seed=seed).beneficiary("50000"), first_name=first, last_name=last)
        who = ANNE if seed % 2 == 0 else BRUNO
        reply = client.post("/missions/mirec/beneficiaries", json=body, headers=who)
        assert reply.status_code == 201, reply.json
        made[last] = dict(reply.json, niss=body["niss"])
    # Same names in another Mission: never found from mirec.
    other = dict(DemoFactory(seed=799).beneficiary("50000"), first_name="Éloïse", last_name="Van den Bœuf")
    elsewhere = client.post("/missions/mirena/beneficiaries", json=other, headers=auth("x", ["counsellor"], "mirena"))
    assert elsewhere.status_code == 201
    return made


def search(client, criteria, query="", headers=ANNE):
    return client.post(f"/missions/mirec/beneficiaries/search?{query}", json=criteria, headers=headers)


def found(client, criteria, query=""):
    reply = search(client, criteria, query)
    assert reply.status_code == 200, reply.json
    return [i["last_name"] for i in reply.json["items"]]


def test_search_by_name_ignores_accents_case_and_punctuation_on_this_database(client, people):
    assert found(client, {"q": "eloise BOEUF"}) == ["Van den Bœuf"]
    assert found(client, {"q": "éloïse"}) == ["Van den Bœuf"]
    assert found(client, {"q": "dhondt"}) == found(client, {"q": "d'hondt"}) == ["D'Hondt"]
    assert found(client, {"q": "lef"}) == ["LEFEBVRE", "Lefèvre"]
    assert found(client, {"q": "celik"}) == ["Çelik"]
    assert found(client, {"q": "marie lefe"}) == ["LEFEBVRE", "Lefèvre"]
    assert found(client, {"q": "nobody"}) == []


def test_search_filters_the_national_number_and_field_errors(client, people):
    niss = people["Lefèvre"]["niss"]
    dotted = f"{niss[:2]}.{niss[2:4]}.{niss[4:6]}-{niss[6:9]}.{niss[9:]}"
    reply = search(client, {"niss": dotted})
    assert [i["id"] for i in reply.json["items"]] == [people["Lefèvre"]["id"]]
    assert niss not in reply.get_data(as_text=True), "the number narrows a search, it is never answered"
    assert found(client, {"counsellor": "bruno.counsellor"}) == ["D'Hondt", "LEFEBVRE"]
    assert found(client, {"stage": "accueil", "status": "active", "q": "van"}) == ["Van den Bœuf"]
    assert found(client, {"registered_from": (TODAY + timedelta(days=1)).isoformat()}) == []
    paged = search(client, {}, "page=2&page_size=2").json
    assert paged["total"] == 5 and len(paged["items"]) == 2
    bad = search(client, {"stage": "nowhere", "niss": "123", "q": "%%", "salary": 1})
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"stage", "niss", "q", "salary"}
    assert "123" not in json.dumps(bad.json["errors"])
    assert search(client, {"q": "van"}, headers=ERIC).status_code == 403
    other = search(client, {"q": "van"}, headers=auth("x", ["counsellor"], "mirena"))
    assert other.status_code == 404


def test_every_person_listed_by_a_search_is_audited(client, people, caplog):
    with caplog.at_level(logging.INFO, logger="gateway.audit"):
        assert found(client, {"q": "lef"}, "purpose=orientation") == ["LEFEBVRE", "Lefèvre"]
    line = json.loads(next(r.getMessage() for r in caplog.records if r.name == "gateway.audit"))
    assert (line["who"], line["purpose"]) == ("anne.counsellor", "orientation")


def test_caseload_and_what_is_due_with_their_metrics(client, platform, people):
    site = next(s for s in platform.sites if s.code == "mirec")
    employer = client.post("/missions/mirec/employers", json=DemoFactory(seed=790).employer("50000"), headers=ERIC)
    assert employer.status_code == 201
    eid = employer.json["id"]
    eloise, zoe = people["Van den Bœuf"]["id"], people["Çelik"]["id"]
    contract = client.post(
        f"/missions/mirec/beneficiaries/{eloise}/outcomes/contract",
        json={
            "signed_on": (TODAY - timedelta(days=200)).isoformat(),
            "employer_id": eid,
            "contract_type": "permanent",
            "hours_per_week": 38,
        },
        headers=ANNE,
    )
    assert contract.status_code == 201, contract.json
    plan = client.post(
        f"/missions/mirec/beneficiaries/{zoe}/plan",
        json={
            "target_occupations": ["F1703"],
            "actions": [{"kind": "job_search", "description": "CV", "due": (TODAY + timedelta(days=7)).isoformat()}],
            "contract_wishes": ["permanent"],
            "mobility_km": 20,
            "agreed_with_person": True,
        },
        headers=ANNE,
    )
    assert plan.status_code == 201, plan.json
    visit = client.post(
        f"/missions/mirec/employers/{eid}/visits",
        json={
            "kind": "visit",
            "on": (TODAY - timedelta(days=9)).isoformat(),
            "summary": "Chantier",
            "next_action": "envoyer deux profils",
            "next_action_due": (TODAY - timedelta(days=2)).isoformat(),
        },
        headers=ERIC,
    )
    assert visit.status_code == 201, visit.json

    mine = client.get("/missions/mirec/beneficiaries/caseload", headers=ANNE).json
    assert mine["counsellor"] == "anne.counsellor" and mine["active"] == 3
    assert mine["by_stage"]["accueil"] == 3
    next_due = {i["last_name"]: i["next_due"] for i in mine["items"]}
    assert next_due["Van den Bœuf"]["kind"] == "six_month_check" and next_due["Van den Bœuf"]["overdue"]
    assert next_due["Çelik"] == {
        "kind": "plan_review",
        "due_on": (TODAY + timedelta(days=7)).isoformat(),
        "overdue": False,
    }
    at_stage = client.get("/missions/mirec/beneficiaries/caseload?stage=orientation", headers=ANNE).json
    assert at_stage["items"] == [] and at_stage["by_stage"]["accueil"] == 3 and at_stage["total"] == 0
    theirs = client.get("/missions/mirec/beneficiaries/caseload?counsellor=bruno.counsellor", headers=ANNE).json
    assert {i["last_name"] for i in theirs["items"]} == {"D'Hondt", "LEFEBVRE"}

    due = client.get("/missions/mirec/beneficiaries/due?counsellor=anne.counsellor", headers=ANNE).json
    assert [(i["kind"], i["person"]["last_name"], i["overdue"]) for i in due["items"]] == [
        ("six_month_check", "Van den Bœuf", True),
        ("plan_review", "Çelik", False),
    ]
    assert client.get("/missions/mirec/beneficiaries/due?counsellor=bruno.counsellor", headers=ANNE).json["items"] == []
    assert client.get("/missions/mirec/beneficiaries/due?horizon_days=400", headers=ANNE).status_code == 422
    prospection = client.get("/missions/mirec/employers/due", headers=ERIC).json
    assert [(i["employer"]["id"], i["overdue"]) for i in prospection["items"]] == [(eid, True)]
    assert client.get("/missions/mirec/employers/due", headers=auth("s", ["social_worker"])).status_code == 403
    projects = client.get("/missions/mirec/projects/due", headers=auth("p", ["project_lead"]))
    assert projects.status_code == 200 and projects.json["items"] == []
    assert projects.json["counts"] == {"training_end": {"overdue": 0, "due": 0}, "committee": {"overdue": 0, "due": 0}}

    def counted():
        return (
            site.metric("passerelle_due_items", service="beneficiary", kind="six_month_check", state="overdue"),
            site.metric("passerelle_due_items", service="beneficiary", kind="plan_review", state="due"),
            site.metric("passerelle_due_items", service="employer", kind="prospection_next_action", state="overdue"),
            'passerelle_due_items{kind="committee",service="convention",state="overdue"} 0.0' in site.metrics(),
        ) == (1.0, 1.0, 1.0, True)

    wait_until(counted, timeout=15, what="the due counts in /metrics")


def test_a_persons_assessments_through_the_gateway(client, people):
    pid = people["D'Hondt"]["id"]
    assert client.get(f"/missions/mirec/beneficiaries/{pid}/assessments", headers=ANNE).json == []
    competence = {"code": "900001", "level": 3, "kind": "technical", "source": "training"}
    made = client.post(
        f"/missions/mirec/beneficiaries/{pid}/assessments", json={"competences": [competence]}, headers=ANNE
    )
    assert made.status_code == 201, made.json
    listed = client.get(f"/missions/mirec/beneficiaries/{pid}/assessments", headers=ANNE).json
    assert [(a["id"], a["competences"]) for a in listed] == [(made.json["id"], [competence])]


def test_employer_search_through_the_gateway(client):
    body = dict(DemoFactory(seed=791).employer("50000"), name="Chocolaterie Lœwe & Fils", nace="10.820")
    made = client.post("/missions/mirec/employers", json=body, headers=ERIC)
    assert made.status_code == 201, made.json
    number = made.json["enterprise_number"]
    for query in ("q=LOEWE+fils", f"enterprise_number=BE{number}", "nace=10.8", "q=choco&nace=10"):
        reply = client.get(f"/missions/mirec/employers/search?{query}", headers=ERIC)
        assert reply.status_code == 200 and [i["id"] for i in reply.json["items"]] == [made.json["id"]], query
    counsellor = client.get("/missions/mirec/employers/search?q=loewe", headers=ANNE)
    assert counsellor.status_code == 200 and counsellor.json["total"] == 1
    assert client.get("/missions/mirec/employers/search?nace=bakery", headers=ERIC).status_code == 422
