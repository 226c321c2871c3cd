"""Matching on the real broker and database: its view built from published events, rankings and proposals over RPC.

Matching's own events (``be.mire.matching.*``) have no consumer queue yet, so
the relay keeps them pending (unroutable is retried, never dropped): the test
reads them in the outbox, where the transaction put them.
"""

import json

import pytest

from contracts.envelope import make_event
from kit.errors import Conflict, NotFound, ValidationFailed
from kit.taxonomy import DEMO_DIR, load
from tests.harness import wait_until

pytestmark = pytest.mark.integration

CODE = {label: code for code, label in load(str(DEMO_DIR)).competences.items()}
WALL, MORTAR, PLAN = (
    CODE[x] for x in ("Monter un mur en blocs", "Préparer un mortier ou un béton", "Lire un plan de construction")
)


def send(platform, service, fact, data):
    event = make_event(source=f"/missions/mirec/{service}", type=f"be.mire.{service}.{fact}.v1", data=data)
    vhost = platform.registry.site("mirec").vhost
    assert platform.publish(vhost, "passerelle.events", event.type, json.dumps(event.to_dict()), message_id=event.id), (
        f"{event.type} found no queue"
    )
    return event


def seed(platform):
    for n, (place, level) in enumerate((("52018", 3), ("52011", 1), ("62063", 3))):
        ref = f"b-{n}"
        send(
            platform,
            "beneficiary",
            "assessed",
            {
                "beneficiary_id": ref,
                "municipality": place,
                "assessed_on": "2026-10-01",
                "competences": [
                    {"code": WALL, "level": level, "kind": "technical"},
                    {"code": MORTAR, "level": 2, "kind": "technical"},
                ],
            },
        )
        send(
            platform,
            "beneficiary",
            "plan_agreed",
            {
                "beneficiary_id": ref,
                "version": 1,
                "target_occupations": ["F1703"],
                "contract_wishes": ["fixed_term", "permanent"],
                "hours_wish": None,
                "mobility_km": 25,
                "available_from": "2026-12-01",
                "municipality": place,
                "missing_competences": [],
                "actions": ["job_search"],
            },
        )
    send(
        platform,
        "employer",
        "vacancy_opened",
        {
            "vacancy_id": "v-1",
            "employer_id": "e-1",
            "occupation": "F1703",
            "title": "Maçon / Maçonne",
            "competences": [
                {"code": WALL, "level": 2, "essential": True},
                {"code": MORTAR, "level": 2, "essential": True},
                {"code": PLAN, "level": 1, "essential": False},
            ],
            "contract_type": "fixed_term",
            "hours_per_week": 38,
            "municipality": "52011",
            "posts": 1,
            "start_date": "2027-01-04",
            "source": "mission",
            "filled": 0,
            "status": "open",
            "on": "2026-11-02",
        },
    )


def wait_seeded(platform):
    # Each event type has its own queue, so their order is not guaranteed: wait for all of them.
    ready = (
        "SELECT (SELECT count(*) FROM candidate WHERE plan_version IS NOT NULL AND assessed_on IS NOT NULL)"
        " + (SELECT count(*) FROM vacancy)"
    )
    wait_until(lambda: platform.scalar("mirec", "matching", ready) == 4, what="matching's view of the seeded facts")


def ranking(platform, n):
    """The vacancy's ranking once it holds ``n`` people (events are applied asynchronously), else None."""
    try:
        found = platform.rpc("mirec", "matching", "rank_candidates", "v-1", 10)
    except NotFound:
        return None  # the vacancy's event is not applied yet
    return found if len(found) == n else None


def test_rankings_and_proposals_over_the_broker(platform):
    platform.start("mirec", services=["matching"])
    seed(platform)
    wait_seeded(platform)
    ranked = wait_until(lambda: ranking(platform, 2), what="both near candidates ranked")
    # b-2 lives in Liège, beyond 25 km; b-0 has the level asked, b-1 not.
    assert [r["beneficiary_id"] for r in ranked] == ["b-0", "b-1"]
    assert ranked[1]["explanation"]["missing"][0]["code"] in (WALL, PLAN)
    assert platform.rpc("mirec", "matching", "rank_vacancies", "b-0", 5)[0]["vacancy_id"] == "v-1"
    assert platform.rpc("mirec", "matching", "suggest_occupations", "aide maçon", 3)[0]["code"] == "F1703"

    with pytest.raises(ValidationFailed) as raised:
        platform.rpc("mirec", "matching", "rank_candidates", "v-1", 1_000_000)
    assert list(raised.value.errors) == ["limit"]
    with pytest.raises(NotFound):
        platform.rpc("mirec", "matching", "rank_vacancies", "b-unknown", 5)

    p = platform.rpc("mirec", "matching", "propose", "v-1", "b-0")
    for step in ("presented", "interview"):
        platform.rpc("mirec", "matching", "move_proposal", p["id"], step)
    with pytest.raises(Conflict):
        platform.rpc("mirec", "matching", "move_proposal", p["id"], "presented")
    assert platform.rpc("mirec", "matching", "move_proposal", p["id"], "hired")["state"] == "hired"
    keys = "SELECT count(*) FROM outbox WHERE routing_key LIKE 'be.mire.matching.%'"
    assert platform.scalar("mirec", "matching", keys) == 4


def test_placement_and_erasure_arrive_as_events(platform):
    platform.start("mirec", services=["matching"])
    seed(platform)
    wait_seeded(platform)
    wait_until(lambda: ranking(platform, 2), what="the ranking")
    p = platform.rpc("mirec", "matching", "propose", "v-1", "b-1")
    send(
        platform,
        "beneficiary",
        "contract_signed",
        {
            "beneficiary_id": "b-1",
            "signed_on": "2026-12-20",
            "contract_type": "permanent",
            "hours_per_week": 38,
            "employer_id": "e-9",
            "check_due": "2027-06-20",
        },
    )
    wait_until(
        lambda: platform.rpc("mirec", "matching", "get_proposal", p["id"])["state"] == "withdrawn",
        what="the proposal of a placed person withdrawn",
    )
    assert [r["beneficiary_id"] for r in platform.rpc("mirec", "matching", "rank_candidates", "v-1", 10)] == ["b-0"]

    send(platform, "beneficiary", "erased", {"beneficiary_id": "b-1"})
    wait_until(
        lambda: (
            platform.scalar("mirec", "matching", "SELECT count(*) FROM candidate WHERE beneficiary_id = 'b-1'") == 0
        ),
        what="the erasure",
    )
    assert platform.scalar("mirec", "matching", "SELECT count(*) FROM proposal WHERE beneficiary_id = 'b-1'") == 0
    with pytest.raises(NotFound):
        platform.rpc("mirec", "matching", "get_proposal", p["id"])
