"""Erasure that reaches InterMire, on real sites, broker and shovels (``reporting.forget``).

MIREC registers people and approves its figures for last year; a director erases one person. The Mission's
forget event crosses the to-sector shovel; InterMire's records of that pseudonym are gone, its tables and
the Mission's approved figures unchanged. Then every sector event MIREC ever sent is published to
InterMire again under new ids (a replay its inbox cannot recognise): the person does not come back,
and the refused facts are counted, not dead-lettered.
"""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest

from kit.actor import Actor
from kit.errors import NotFound
from runtime.demo import DemoFactory
from tests.harness import wait_until

pytestmark = pytest.mark.integration
YEAR = date.today().year - 1
DIRECTOR = Actor("dora.director", "mirec", ("director",))
OTHER_DIRECTOR = Actor("paul.director", "mirec", ("director",))
SECTOR_SCHEMA = "urn:passerelle:schema:sector:"


def sector_events(platform) -> list[dict]:
    """Every sector event MIREC's beneficiary service has sent, as it sent it."""
    rows = platform.scalar_all("mirec", "beneficiary", "SELECT payload FROM outbox WHERE sent_at IS NOT NULL")
    return [p for p in map(json.loads, rows) if p.get("dataschema", "").startswith(SECTOR_SCHEMA)]


def at_intermire(platform, sql: str, **params):
    return platform.scalar("intermire", "reporting", sql, **params)


def test_erasure_forgets_the_person_at_intermire_and_a_replay_does_not_bring_them_back(platform):
    platform.start("mirec", services=["beneficiary", "reporting", "employer"])
    intermire = platform.start("intermire")
    factory = DemoFactory(seed=2424)
    refs = [
        platform.rpc("mirec", "beneficiary", "register", factory.beneficiary(registered_on=date(YEAR, 1 + i % 4, 9)))[
            "id"
        ]
        for i in range(8)
    ]
    gone = refs[0]
    platform.rpc(
        "mirec",
        "beneficiary",
        "record_contract",
        gone,
        {
            "signed_on": date(YEAR, 6, 2).isoformat(),
            "employer_id": platform.new_employer("mirec"),
            "contract_type": "permanent",
            "hours_per_week": 38,
        },
    )
    pseudonym = platform.scalar("mirec", "beneficiary", "SELECT pseudonym FROM beneficiary WHERE id = :id", id=gone)
    indicators = wait_until(
        lambda: (
            (s := platform.rpc("intermire", "reporting", "sector_indicators"))["people"] == 8
            and s["first_contracts"] == 1
            and s
        ),
        what="InterMire's counts",
    )
    wait_until(
        lambda: platform.scalar("mirec", "reporting", "SELECT count(*) FROM fact") >= 9, what="MIREC's own facts"
    )
    platform.rpc("mirec", "reporting", "submit_period", str(YEAR), actor=DIRECTOR)
    platform.rpc("mirec", "reporting", "approve_submission", str(YEAR), 1, actor=OTHER_DIRECTOR)
    approved = platform.scalar("mirec", "reporting", "SELECT figures FROM submission WHERE status = 'approved'")
    table = platform.rpc("intermire", "reporting", "sector_table", "people_accompanied", str(YEAR), "gender")
    assert table["missions"]["mirec"]["total"] == 8
    assert at_intermire(platform, "SELECT count(*) FROM sector_fact WHERE pseudonym = :p", p=pseudonym) == 2
    sent = wait_until(lambda: len(events := sector_events(platform)) >= 9 and events, what="MIREC's sector events sent")

    assert platform.rpc("mirec", "beneficiary", "erase", gone, actor=DIRECTOR) == {"erased": gone}
    with pytest.raises(NotFound):  # already erased: the file is no longer there, nothing more is done
        platform.rpc("mirec", "beneficiary", "erase", gone, actor=DIRECTOR)

    wait_until(
        lambda: at_intermire(platform, "SELECT count(*) FROM sector_forgotten WHERE pseudonym = :p", p=pseudonym) == 1,
        what="the erasure at InterMire",
    )
    for sql in (
        "SELECT count(*) FROM sector_fact WHERE pseudonym = :p",
        "SELECT count(*) FROM sector_entry WHERE pseudonym = :p",
    ):
        assert at_intermire(platform, sql, p=pseudonym) == 0
    assert at_intermire(platform, "SELECT count(*) FROM sector_fact WHERE pseudonym = 'erased'") == 2
    # The figures: InterMire's tables and counts, and the Mission's approved figures, as they were.
    assert platform.rpc("intermire", "reporting", "sector_table", "people_accompanied", str(YEAR), "gender") == table
    assert platform.rpc("intermire", "reporting", "sector_indicators") == indicators
    assert platform.scalar("mirec", "reporting", "SELECT figures FROM submission WHERE status = 'approved'") == approved

    # A full replay of what MIREC sent InterMire, under new ids: the person's facts are refused.
    vhost = platform.registry.site("intermire").vhost
    logged = at_intermire(platform, "SELECT count(*) FROM sector_fact")
    theirs = [e for e in sent if e["data"].get("pseudonym") == pseudonym]
    assert {e["type"].rsplit(".", 2)[-2] for e in theirs} == {"registered", "contract_signed"}
    for event in sent:
        event = dict(event, id=str(uuid.uuid4()))
        assert platform.publish(vhost, "passerelle.sector", event["type"], json.dumps(event), message_id=event["id"])
    # The registration reaches two handlers (the entries and the fact log): three refusals in all.
    wait_until(
        lambda: intermire.metric("passerelle_sector_facts_refused_total", mission="mirec") == 3,
        what="the replayed facts refused",
    )
    wait_until(
        lambda: at_intermire(platform, "SELECT count(*) FROM sector_fact") == logged + len(sent) - len(theirs),
        what="everyone else's replayed facts logged",
    )
    for sql in (
        "SELECT count(*) FROM sector_fact WHERE pseudonym = :p",
        "SELECT count(*) FROM sector_entry WHERE pseudonym = :p",
    ):
        assert at_intermire(platform, sql, p=pseudonym) == 0
    assert platform.rpc("intermire", "reporting", "sector_indicators") == indicators
    assert platform.rpc("intermire", "reporting", "sector_table", "people_accompanied", str(YEAR), "gender") == table
    assert intermire.metric("passerelle_events_dead_lettered_total") == 0
