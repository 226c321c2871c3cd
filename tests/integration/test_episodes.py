"""Coming back, through the gateway, on the real broker and database (SQLite or PostgreSQL).

A person placed and exited is re-opened: a new episode on the same file, at the intake stage, the first one
readable with its dates and outcome; the new episode has its own path and first contract. A second
re-opening of the now open file is refused (409), and so is bad input (422, nothing written). An intake of a
number on file answers 409 naming the file and whether it can be re-opened. Matching lists the re-opened
person again, Le Forem (legal basis on record) hears that the person is back, the re-opening is audited, and
the Mission's and InterMire's figures count people once and episodes each: six people, five of whom came
back, are six people accompanied and eleven entries.
"""

import json
from datetime import date, timedelta

import jsonschema
import pytest

from contracts.agency import catalogue
from gateway.auth import mint
from runtime.demo import DemoFactory
from tests.harness import ROOT, module_platform, wait_until
from tests.integration.test_agency_delivery import Agencies

pytestmark = pytest.mark.integration
M = "/missions/mirec"
TODAY = date.today()
YEAR = str(TODAY.year)
CHARLEROI = "52011"
FOREM_REF = "FOREM-EP-1"


def auth(sub, roles, mission="mirec"):
    return {"Authorization": f"Bearer {mint(sub, mission, list(roles))}"}


ANNE = auth("anne.counsellor", ["counsellor"])
LEAD = auth("paula.lead", ["project_lead"])
DPO = auth("dani.dpo", ["dpo"])
ANALYST = auth("ines.analyst", ["intermire_analyst"], "intermire")


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(
        tmp_path_factory, "episodes", {"mirec": ["beneficiary", "employer", "matching", "reporting"], "intermire": None}
    )


def intake(seed: int, **changes) -> dict:
    return DemoFactory(seed=seed).beneficiary(registered_on=TODAY) | {"municipality": CHARLEROI} | changes


@pytest.fixture(scope="module")
def people(client):
    """Six people at intake today; the first with a legal basis for Le Forem."""
    forem = {
        "agency": "forem",
        "basis": "legal_basis",
        "reference": "décret MIRE art. 5",
        "agency_reference": FOREM_REF,
        "given_on": TODAY.isoformat(),
    }
    bodies = [intake(2300 + i, **({"disclosures": [forem]} if i == 0 else {})) for i in range(6)]
    made = []
    for body in bodies:
        reply = client.post(f"{M}/beneficiaries", json=body, headers=ANNE)
        assert reply.status_code == 201, reply.json
        assert reply.json["episode"] == 1
        made.append((reply.json["id"], body))
    return made


def test_a_placed_person_who_left_comes_back_in_a_new_episode(client, platform, people):
    (pid, body), (open_pid, open_body) = people[0], people[1]
    f = f"{M}/beneficiaries/{pid}"
    assessed = client.post(
        f + "/assessments",
        json={"competences": [{"code": "900001", "level": 2, "kind": "technical", "source": "work"}]},
        headers=ANNE,
    )
    assert assessed.status_code == 201, assessed.json
    employer = platform.new_employer("mirec")
    first = {"signed_on": TODAY.isoformat(), "employer_id": employer, "contract_type": "temp", "hours_per_week": 38}
    assert client.post(f + "/outcomes/contract", json=first, headers=ANNE).status_code == 201
    wait_until(
        lambda: platform.scalar(
            "mirec", "matching", "SELECT placed_on FROM candidate WHERE beneficiary_id = :i", i=pid
        ),
        timeout=30,
        what="matching to hear of the contract",
    )
    assert client.post(f + "/exit", json={"reason": "durable_employment"}, headers=ANNE).status_code == 200

    # An intake of the same number: 409, the file named and said closed, to be re-opened; nothing written.
    count = platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM beneficiary")
    again = client.post(f"{M}/beneficiaries", json=dict(body, first_name="Autre"), headers=ANNE)
    assert again.status_code == 409
    assert (again.json["existing"], again.json["file_status"], again.json["reopenable"]) == (pid, "closed", True)
    assert "re-open it" in again.json["detail"]
    # The same for a file still followed: named, said open.
    still = client.post(f"{M}/beneficiaries", json=open_body, headers=ANNE)
    assert still.status_code == 409
    assert (still.json["existing"], still.json["file_status"], still.json["reopenable"]) == (open_pid, "open", False)
    assert platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM beneficiary") == count

    # Bad input: every field named, nothing written.
    bad = client.post(
        f + "/episodes",
        json={"started_on": (TODAY + timedelta(days=1)).isoformat(), "referrer_type": "nobody", "stage": "formation"},
        headers=ANNE,
    )
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"started_on", "referrer_type", "stage"}
    early = client.post(f + "/episodes", json={"started_on": (TODAY - timedelta(days=1)).isoformat()}, headers=ANNE)
    assert early.status_code == 422 and list(early.json["errors"]) == ["started_on"]
    # A project lead may move a path but not re-open a file.
    assert client.post(f + "/episodes", json={}, headers=LEAD).status_code == 403
    assert platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM episode WHERE beneficiary_id = :i", i=pid) == 1

    reopened = client.post(
        f + "/episodes", json={"referrer_type": "cpas", "why": "a perdu son emploi après huit mois"}, headers=ANNE
    )
    assert reopened.status_code == 201, reopened.json
    assert reopened.json == {
        "id": pid,
        "episode": 2,
        "started_on": TODAY.isoformat(),
        "stage": "accueil",
        "status": "active",
    }
    # The file is open again: a second re-opening is refused, as the same state would be.
    twice = client.post(f + "/episodes", json={}, headers=ANNE)
    assert twice.status_code == 409 and "still followed" in twice.json["detail"]

    read = client.get(f, headers=ANNE).json
    assert (read["episode"], read["stage"], read["status"], read["contract"], read["plan_version"]) == (
        2,
        "accueil",
        "active",
        None,
        None,
    )
    assert [
        (e["number"], e["started_on"], e["ended_on"], e["outcome"], e["outcome_reason"]) for e in read["episodes"]
    ] == [
        (2, TODAY.isoformat(), None, None, None),
        (1, TODAY.isoformat(), TODAY.isoformat(), "exited", "durable_employment"),
    ]
    assert read["episodes"][0]["referrer_type"] == "cpas"

    # The new episode's own path and first contract; the first episode's stay as they were.
    moved = client.post(f + "/pathway/move", json={"to": "orientation"}, headers=ANNE)
    assert moved.status_code == 200, moved.json
    path = client.get(f + "/pathway", headers=ANNE).json
    assert path["episode"] == 2
    assert [(t["episode"], t["kind"], t["to"]) for t in path["transitions"]] == [
        (1, "entered", "accueil"),
        (1, "exited", "accueil"),
        (2, "reopened", "accueil"),
        (2, "moved", "orientation"),
    ]
    # Matching lists the person again.
    wait_until(
        lambda: (
            platform.scalar("mirec", "matching", "SELECT placed_on FROM candidate WHERE beneficiary_id = :i", i=pid)
            is None
        ),
        timeout=30,
        what="matching to list the re-opened person again",
    )
    second = dict(first, contract_type="permanent")
    signed = client.post(f + "/outcomes/contract", json=second, headers=ANNE)
    assert signed.status_code == 201, signed.json
    assert signed.json["episode"] == 2
    assert client.get(f, headers=ANNE).json["contract"]["contract_type"] == "permanent"
    assert client.post(f + "/outcomes/contract", json=second, headers=ANNE).status_code == 409

    # Audited under its own action.
    trail = client.get(f"{M}/audit", query_string={"subject": pid, "page_size": 100}, headers=DPO).json["items"]
    assert "beneficiary.reopen" in {row["action"] for row in trail}

    # Le Forem hears that the person is back (legal basis on record): the episode and its date, no why.
    agencies = Agencies(platform)
    received = agencies.wait_for("forem", FOREM_REF, 4)
    back = [e for e in received if e["type"] == catalogue.REOPENED]
    assert len(back) == 1 and back[0]["data"]["episode"] == 2 and back[0]["data"]["reopened_on"] == TODAY.isoformat()
    assert "perdu" not in json.dumps(back[0])
    schema = json.loads((ROOT / "contracts" / "schemas" / "forem" / f"{catalogue.REOPENED}.json").read_text())
    jsonschema.validate(back[0], schema)


def test_indicators_count_people_once_and_episodes_each(client, platform, people):
    # Four more leave (drop-outs) and come back; the last one exits and stays away.
    for pid, _ in people[1:5]:
        out = client.post(f"{M}/beneficiaries/{pid}/pathway/drop-out", json={"reason": "health"}, headers=ANNE)
        assert out.status_code == 200, out.json
        assert client.post(f"{M}/beneficiaries/{pid}/episodes", json={}, headers=ANNE).status_code == 201
    last = people[5][0]
    assert client.post(f"{M}/beneficiaries/{last}/exit", json={"reason": "moved"}, headers=ANNE).status_code == 200
    expected = {"people_accompanied": 6, "entries": 11, "returns": 5}

    def mission(name):
        reply = client.get(f"{M}/indicators/{name}", query_string={"period": YEAR}, headers=ANNE)
        assert reply.status_code == 200, reply.json
        return reply.json["total"]

    wait_until(lambda: {n: mission(n) for n in expected} == expected, timeout=60, what="the Mission's figures")

    def sector(name):
        reply = client.get(
            f"/intermire/indicators/{name}", query_string={"period": YEAR, "columns": "quarter"}, headers=ANALYST
        )
        assert reply.status_code == 200, reply.json
        return reply.json["missions"]["mirec"]["total"], reply.json["sector"]["total"]

    wait_until(
        lambda: {n: sector(n) for n in expected} == {n: (v, v) for n, v in expected.items()},
        timeout=60,
        what="InterMire's figures",
    )
    catalogue_ = client.get("/intermire/indicators", headers=ANALYST).json
    counts = {i["name"]: i["counts"] for i in catalogue_["indicators"]}
    assert counts["people_accompanied"] == "persons" and counts["entries"] == counts["returns"] == "acts"
