"""A vacancy of several posts through the gateway, on the real broker (issue 23).

The employer service fills it post by post (``partially_filled`` until the last) and says so on each
``vacancy_filled`` event; matching keeps ranking and proposing people for it until the last post is
filled, then answers 409 and withdraws the proposals still open.
"""

import pytest

from kit.taxonomy import DEMO_DIR, load
from runtime.demo import DemoFactory
from tests.harness import bearer, module_platform, wait_until

pytestmark = pytest.mark.integration
CODE = {label: code for code, label in load(str(DEMO_DIR)).competences.items()}
WALL, MORTAR = CODE["Monter un mur en blocs"], CODE["Préparer un mortier ou un béton"]
M = "/missions/mirec"


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(tmp_path_factory, "posts", {"mirec": None})


def auth(role: str) -> dict:
    return bearer("mirec", role)


COUNSELLOR, AGENT = auth("counsellor"), auth("employer_relations")


def person(client, seed: int) -> str:
    """A person assessed and with an agreed plan aiming at masonry: matching hears of both."""
    ref = client.post(f"{M}/beneficiaries", json=DemoFactory(seed=seed).beneficiary("50000"), headers=COUNSELLOR)
    assert ref.status_code == 201, ref.json
    ref = ref.json["id"]
    competences = [
        {"code": WALL, "level": 3, "kind": "technical", "source": "work"},
        {"code": MORTAR, "level": 2, "kind": "technical", "source": "training"},
    ]
    assessed = client.post(
        f"{M}/beneficiaries/{ref}/assessments", json={"competences": competences}, headers=COUNSELLOR
    )
    assert assessed.status_code == 201, assessed.json
    plan = {
        "target_occupations": ["F1703"],
        "actions": [{"kind": "job_search", "description": "Chantiers"}],
        "contract_wishes": ["permanent"],
        "mobility_km": 200,
        "agreed_with_person": True,
    }
    agreed = client.post(f"{M}/beneficiaries/{ref}/plan", json=plan, headers=COUNSELLOR)
    assert agreed.status_code == 201, agreed.json
    return ref


def candidates(client, vid):
    return client.get(f"{M}/matching/vacancies/{vid}/candidates?limit=10", headers=COUNSELLOR)


def propose(client, vid, ref):
    return client.post(f"{M}/matching/proposals", json={"vacancy_id": vid, "beneficiary_id": ref}, headers=AGENT)


def state(client, pid) -> tuple[str, str | None]:
    proposal = client.get(f"{M}/matching/proposals/{pid}", headers=COUNSELLOR).json
    return proposal["state"], proposal["reason"]


def test_a_two_post_vacancy_is_filled_post_by_post_and_ranked_until_its_last(platform, client):
    first, second, third = (person(client, seed) for seed in (231, 232, 233))
    employer = client.post(f"{M}/employers", json=DemoFactory(seed=234).employer("50000"), headers=AGENT).json["id"]
    vid = client.post(
        f"{M}/employers/{employer}/vacancies",
        headers=AGENT,
        json={
            "title": "Maçon",
            "occupation": "F1703",
            "description": "Gros oeuvre",
            "contract_type": "permanent",
            "hours_per_week": 38,
            "municipality": "52011",
            "posts": 2,
            "competences": [{"code": WALL, "level": 2, "essential": True}],
        },
    ).json["id"]
    assert client.post(f"{M}/vacancies/{vid}/open", headers=AGENT).status_code == 200

    def everyone_ranked():
        reply = candidates(client, vid)
        return reply.status_code == 200 and {first, second, third} <= {c["beneficiary_id"] for c in reply.json}

    wait_until(everyone_ranked, timeout=30, what="matching to rank the three people for the vacancy")
    hired = propose(client, vid, first).json["id"]
    for step in ("presented", "interview", "hired"):
        moved = client.post(f"{M}/matching/proposals/{hired}/transitions", json={"to": step}, headers=AGENT)
        assert moved.status_code == 200, moved.json
    waiting = propose(client, vid, second)
    assert waiting.status_code == 201, waiting.json
    waiting = waiting.json["id"]

    # The first hire: one post of two.
    fill = client.post(f"{M}/vacancies/{vid}/fill", json={"beneficiary_id": first}, headers=AGENT)
    assert (fill.status_code, fill.json["status"], fill.json["filled"]) == (200, "partially_filled", 1)
    applied = "SELECT count(*) FROM inbox WHERE handler = 'matching.on_vacancy_filled'"
    wait_until(lambda: platform.scalar("mirec", "matching", applied) == 1, what="matching to hear of the first hire")
    still = candidates(client, vid)
    assert still.status_code == 200, still.json
    ranked = [c["beneficiary_id"] for c in still.json]
    # Still ranked: the third person; the one hired and the one already proposed are not suggested again.
    assert third in ranked and first not in ranked and second not in ranked
    late = propose(client, vid, third)
    assert late.status_code == 201, late.json
    late = late.json["id"]
    again = propose(client, vid, first)
    assert again.status_code == 409 and "already hired" in again.json["detail"]
    assert state(client, waiting) == ("proposed", None)

    # The second hire fills the last post: matching ends the vacancy and withdraws what is still open.
    fill = client.post(f"{M}/vacancies/{vid}/fill", json={"beneficiary_id": second}, headers=AGENT)
    assert (fill.status_code, fill.json["status"], fill.json["filled"]) == (200, "filled", 2)
    wait_until(lambda: candidates(client, vid).status_code == 409, what="matching to end the filled vacancy")
    assert "the vacancy is filled" in candidates(client, vid).json["detail"]
    assert state(client, waiting) == ("withdrawn", "vacancy_filled")
    assert state(client, late) == ("withdrawn", "vacancy_filled")
    assert state(client, hired) == ("hired", None)
    closed = propose(client, vid, third)
    assert closed.status_code == 409 and "the vacancy is filled" in closed.json["detail"]
    assert vid not in [
        v["vacancy_id"] for v in client.get(f"{M}/matching/beneficiaries/{third}/vacancies", headers=COUNSELLOR).json
    ]
