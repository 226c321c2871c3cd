"""Gaps into the plan in one step, through the gateway on the real broker (issue 25).

A counsellor ranks vacancies for a person, chooses missing competences from the explanation of one, and the
beneficiary service (asking matching what is missing) agrees the next plan version with an action per gap,
each keeping the explanation; the ``plan_agreed`` event reaches matching's candidate. Bad choices are field-level
422s and a stale plan version a 409, with nothing written; so is a write while matching does not run (503/504).
"""

import pytest

from kit.taxonomy import DEMO_DIR, load
from runtime.demo import DemoFactory
from tests.harness import bearer, module_platform, wait_until

pytestmark = pytest.mark.integration
CODE = {label: code for code, label in load(str(DEMO_DIR)).competences.items()}
WALL, MORTAR = CODE["Monter un mur en blocs"], CODE["Préparer un mortier ou un béton"]
FORMWORK, PLAN, TEAM = CODE["Poser un coffrage"], CODE["Lire un plan de construction"], CODE["Travailler en équipe"]
CABLES = CODE["Tirer et raccorder des câbles"]
M = "/missions/mirec"


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(tmp_path_factory, "gaps", {"mirec": None})


def auth(role: str) -> dict:
    return bearer("mirec", role)


COUNSELLOR, AGENT = auth("counsellor"), auth("employer_relations")


def person(client, seed: int) -> str:
    """A mason: walls (3), mortar under the level asked (2), team work; a plan aiming at masonry."""
    ref = client.post(f"{M}/beneficiaries", json=DemoFactory(seed=seed).beneficiary("50000"), headers=COUNSELLOR)
    assert ref.status_code == 201, ref.json
    ref = ref.json["id"]
    competences = [
        {"code": WALL, "level": 3, "kind": "technical", "source": "work"},
        {"code": MORTAR, "level": 2, "kind": "technical", "source": "training"},
        {"code": TEAM, "level": 2, "kind": "behavioural", "source": "work"},
    ]
    assessed = client.post(
        f"{M}/beneficiaries/{ref}/assessments", json={"competences": competences}, headers=COUNSELLOR
    )
    assert assessed.status_code == 201, assessed.json
    plan = {
        "target_occupations": ["F1703"],
        "actions": [{"kind": "job_search", "description": "Chantiers de la région"}],
        "contract_wishes": ["permanent"],
        "mobility_km": 200,
        "agreed_with_person": True,
    }
    agreed = client.post(f"{M}/beneficiaries/{ref}/plan", json=plan, headers=COUNSELLOR)
    assert agreed.status_code == 201, agreed.json
    return ref


def vacancy(client, seed: int) -> str:
    employer = client.post(f"{M}/employers", json=DemoFactory(seed=seed).employer("50000"), headers=AGENT).json["id"]
    vid = client.post(
        f"{M}/employers/{employer}/vacancies",
        headers=AGENT,
        json={
            "title": "Maçon coffreur",
            "occupation": "F1703",
            "description": "Gros oeuvre",
            "contract_type": "permanent",
            "hours_per_week": 38,
            "municipality": "52011",
            "posts": 1,
            "competences": [
                {"code": WALL, "level": 2, "essential": True},
                {"code": MORTAR, "level": 3, "essential": False},
                {"code": FORMWORK, "level": 2, "essential": True},
                {"code": PLAN, "level": 1, "essential": False},
                {"code": TEAM, "level": 1, "essential": False},
            ],
        },
    ).json["id"]
    assert client.post(f"{M}/vacancies/{vid}/open", headers=AGENT).status_code == 200
    return vid


def gaps(client, ref, body):
    return client.post(f"{M}/beneficiaries/{ref}/plan/gaps", json=body, headers=COUNSELLOR)


def plans(client, ref) -> list[dict]:
    reply = client.get(f"{M}/beneficiaries/{ref}/plan", headers=COUNSELLOR)
    assert reply.status_code == 200, reply.json
    return reply.json


def candidate(platform, ref, column):
    return platform.scalar("mirec", "matching", f"SELECT {column} FROM candidate WHERE beneficiary_id = :ref", ref=ref)


def open_at_matching(platform, vid) -> bool:
    return platform.scalar("mirec", "matching", "SELECT status FROM vacancy WHERE vacancy_id = :vid", vid=vid) == "open"


def test_a_ranked_vacancys_gaps_become_actions_of_the_next_plan_version(platform, client):
    ref, vid = person(client, 251), vacancy(client, 252)
    wait_until(lambda: candidate(platform, ref, "plan_version") == 1, what="matching to hear of the first plan")

    def ranked():
        reply = client.get(f"{M}/matching/beneficiaries/{ref}/vacancies?limit=10", headers=COUNSELLOR)
        found = [r for r in reply.json if r["vacancy_id"] == vid] if reply.status_code == 200 else []
        return found[0] if found else None

    wait_until(lambda: ranked() is not None, timeout=30, what="matching to rank the vacancy for the person")
    missing = {m["code"]: m for m in ranked()["explanation"]["missing"]}
    assert set(missing) == {MORTAR, FORMWORK, PLAN}
    chosen = [{"code": MORTAR}, {"code": FORMWORK}, {"code": PLAN, "due": "2027-03-01"}]

    made = gaps(client, ref, {"plan_version": 1, "vacancy_id": vid, "gaps": chosen, "agreed_with_person": True})
    assert made.status_code == 201, made.json
    assert (made.json["version"], made.json["agreed_by"]) == (2, "t-counsellor")
    first, *added = made.json["actions"]
    assert first == {"kind": "job_search", "description": "Chantiers de la région", "due": None}  # kept as it was
    # The documented rule: held under the level → remise à niveau; essential (or rare) → formation; else stage.
    assert [a["kind"] for a in added] == ["remise_a_niveau", "alternating_training", "confirmation_internship"]
    assert added[0]["description"] == "Préparer un mortier ou un béton — manquant pour Maçon coffreur"
    assert added[0]["gap"] == {
        "code": MORTAR,
        "label": "Préparer un mortier ou un béton",
        "missing_for": "Maçon coffreur",
        "source": {"kind": "vacancy", "vacancy_id": vid, "proposal_id": None, "occupation": "F1703"},
        "essential": False,
        "rare": True,
        "required_level": 3,
        "level": 2,
    }
    assert added[1]["gap"]["essential"] is True and added[1]["gap"]["level"] is None
    assert added[2]["gap"]["rare"] is False and added[2]["due"] == "2027-03-01"
    assert made.json["missing_competences"] == [MORTAR, FORMWORK, PLAN]
    assert made.json["target_occupations"] == ["F1703"] and made.json["contract_wishes"] == ["permanent"]
    assert [p["version"] for p in plans(client, ref)] == [1, 2]
    # The plan event flows to matching: its candidate follows the new version.
    wait_until(lambda: candidate(platform, ref, "plan_version") == 2, what="matching to hear of the plan from gaps")

    # An occupation's gaps, chosen kind: the occupation joins the plan's targets, and matching hears of it.
    explained = client.get(f"{M}/matching/beneficiaries/{ref}/gaps?occupation=F1602", headers=COUNSELLOR)
    assert explained.status_code == 200, explained.json
    assert explained.json["source"]["title"] == "Électricité du bâtiment"
    assert CABLES in {m["code"] for m in explained.json["missing"]}
    body = {"plan_version": 2, "occupation": "F1602", "gaps": [{"code": CABLES, "kind": "confirmation_internship"}]}
    made = gaps(client, ref, body | {"agreed_with_person": True})
    assert made.status_code == 201, made.json
    assert made.json["version"] == 3 and made.json["target_occupations"] == ["F1703", "F1602"]
    last = made.json["actions"][-1]
    assert last["kind"] == "confirmation_internship"
    assert last["description"] == "Tirer et raccorder des câbles — manquant pour Électricité du bâtiment"
    wait_until(
        lambda: "F1602" in (candidate(platform, ref, "target_occupations") or ""),
        what="matching's candidate to aim at the new target occupation",
    )

    # Through a proposal of the person's: the same vacancy's explanation.
    proposal = client.post(f"{M}/matching/proposals", json={"vacancy_id": vid, "beneficiary_id": ref}, headers=AGENT)
    assert proposal.status_code == 201, proposal.json
    body = {"plan_version": 3, "proposal_id": proposal.json["id"], "gaps": [{"code": FORMWORK}]}
    made = gaps(client, ref, body | {"agreed_with_person": True})
    assert made.status_code == 201, made.json
    assert made.json["actions"][-1]["gap"]["source"]["proposal_id"] == proposal.json["id"]
    assert made.json["missing_competences"] == [MORTAR, FORMWORK, PLAN, CABLES]  # no code twice


def test_bad_choices_are_field_errors_and_a_stale_version_a_conflict_with_nothing_written(platform, client):
    ref, vid = person(client, 253), vacancy(client, 254)
    wait_until(lambda: candidate(platform, ref, "plan_version") == 1, what="matching to hear of the plan")
    # Matching hears of the vacancy by its own event: until then a source it does not know is refused as such.
    wait_until(lambda: open_at_matching(platform, vid), what="matching to hear of the open vacancy")

    def send(**changes):
        body = {"plan_version": 1, "vacancy_id": vid, "gaps": [{"code": FORMWORK}], "agreed_with_person": True}
        return gaps(client, ref, {k: v for k, v in (body | changes).items() if v is not ...})

    unknown = send(gaps=[{"code": "000000"}])
    assert unknown.status_code == 422 and "unknown competence code" in unknown.json["errors"]["gaps"]["0"]["code"][0]
    held = send(gaps=[{"code": FORMWORK}, {"code": TEAM}])
    assert held.status_code == 422, held.json
    assert held.json["errors"] == {"gaps": {"1": {"code": [held.json["errors"]["gaps"]["1"]["code"][0]]}}}
    assert "not missing for this source" in held.json["errors"]["gaps"]["1"]["code"][0]
    twice = send(gaps=[{"code": FORMWORK}, {"code": FORMWORK}])
    assert twice.json["errors"] == {"gaps": {"1": {"code": ["chosen twice"]}}}
    empty = send(gaps=[])
    assert empty.status_code == 422 and "gaps" in empty.json["errors"]
    kind = send(gaps=[{"code": FORMWORK, "kind": "job_search"}])
    assert kind.status_code == 422 and "kind" in kind.json["errors"]["gaps"]["0"]
    neither = send(vacancy_id=...)
    assert neither.status_code == 422 and "source" in neither.json["errors"]
    both = send(occupation="F1703")
    assert both.status_code == 422 and "source" in both.json["errors"]
    nowhere = send(vacancy_id="no-such-vacancy")
    assert nowhere.status_code == 422 and "vacancy_id" in nowhere.json["errors"]
    stranger = send(vacancy_id=..., proposal_id="no-such-proposal")
    assert stranger.status_code == 422 and "proposal_id" in stranger.json["errors"]
    stale = send(plan_version=2)
    assert stale.status_code == 409 and "version 1 is current" in stale.json["errors"]["plan_version"][0]
    unagreed = send(agreed_with_person=False)
    assert unagreed.status_code == 422 and "agreed_with_person" in unagreed.json["errors"]
    for role in ("project_lead", "employer_relations"):
        body = {"plan_version": 1, "vacancy_id": vid, "gaps": [{"code": FORMWORK}], "agreed_with_person": True}
        refused = client.post(f"{M}/beneficiaries/{ref}/plan/gaps", json=body, headers=auth(role))
        assert refused.status_code == 403, role
    # Nothing of any refusal was written: still one plan version, and matching's candidate at it.
    assert [p["version"] for p in plans(client, ref)] == [1]
    assert candidate(platform, ref, "plan_version") == 1
    assert send().status_code == 201


def test_matching_not_answering_makes_the_write_fail_with_nothing_written(platform, client):
    # Last in the module: MIREC restarts with its beneficiary service alone.
    ref = person(client, 255)
    next(s for s in platform.sites if s.code == "mirec").stop()
    platform.start("mirec", services=["beneficiary"])
    body = {"plan_version": 1, "occupation": "F1703", "gaps": [{"code": FORMWORK}], "agreed_with_person": True}
    reply = gaps(client, ref, body)
    assert reply.status_code in (503, 504), (reply.status_code, reply.json)
    assert reply.content_type.startswith("application/problem+json")
    assert [p["version"] for p in plans(client, ref)] == [1]
