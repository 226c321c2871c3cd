"""The retention schedule on a real Mission site, broker and shovels (``kit.retention``, ``passerelle retention``).

MIREC registers four people; two close their files (an exit, a drop-out) and one more exits. Time is moved
on where the services cannot move their clock, in their data: the first two paths are set six years back,
some audit rows three years back, some sent outbox rows and inbox rows forty days back. An unsent outbox row
held for a later attempt is six years old. The verb's dry run then lists exactly what the real run removes
(the two old files, the old audit, outbox and inbox rows; never the unsent row, never a recent one), a second
run removes nothing, and the erased people's sector forget events reach InterMire. At InterMire, one person's
sector facts and entry are set eleven years back: past ``sector_facts_years`` (ten, on the InterMire site), the
dry run counts them, the run drops them (and nothing recent), and a table of that year is refused rather than
answered as zeros.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from beneficiary.models import Audit, Beneficiary, StageTransition

from kit.actor import Actor
from kit.errors import Forbidden, ValidationFailed
from kit.storage import inbox, outbox
from runtime.demo import DemoFactory
from tests.harness import wait_until

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
DIRECTOR = Actor("dora.director", "mirec", ("director",))
COUNSELLOR = Actor("anne.counsellor", "mirec", ("counsellor",))
NOW = datetime.now(UTC)
SIX_YEARS_AGO = NOW - timedelta(days=6 * 365)
THREE_YEARS_AGO = NOW - timedelta(days=3 * 365)
FORTY_DAYS_AGO = NOW - timedelta(days=40)
SERVICES = ("beneficiary", "employer", "convention", "matching", "reporting")


def retention(platform, *args: str) -> dict:
    run = subprocess.run(
        [sys.executable, "-m", "runtime.cli", "--registry", str(platform.registry_path), "retention", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout)


def write(platform, service: str, statement) -> int:
    engine = platform.engine("mirec", service)
    try:
        with engine.begin() as conn:
            return conn.execute(statement).rowcount
    finally:
        engine.dispose()


def rows(platform, service: str, query) -> list:
    engine = platform.engine("mirec", service)
    try:
        with engine.connect() as conn:
            return list(conn.execute(query))
    finally:
        engine.dispose()


def test_dry_run_lists_what_the_run_removes_and_a_second_run_removes_nothing(platform):
    platform.start("mirec")
    platform.start("intermire")
    factory = DemoFactory(seed=2424)
    people = [platform.rpc("mirec", "beneficiary", "register", factory.beneficiary("50000"))["id"] for _ in range(4)]
    exited_long_ago, dropped_long_ago, exited_lately, active = people
    platform.rpc("mirec", "beneficiary", "exit_path", exited_long_ago, {"reason": "moved"})
    platform.rpc("mirec", "beneficiary", "drop_out", dropped_long_ago, {"reason": "family"})
    platform.rpc("mirec", "beneficiary", "exit_path", exited_lately, {"reason": "moved"})
    platform.rpc("mirec", "beneficiary", "get", active)  # one more audit row, of a read
    pseudonyms = {
        p: platform.scalar("mirec", "beneficiary", "SELECT pseudonym FROM beneficiary WHERE id = :id", id=p)
        for p in (exited_long_ago, dropped_long_ago)
    }
    # Every event sent, and taken in by matching and reporting, before time is moved.
    wait_until(
        lambda: platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0,
        what="the beneficiary events sent",
    )
    wait_until(
        lambda: platform.scalar("mirec", "reporting", "SELECT count(*) FROM inbox") >= 7,
        what="reporting taking in the seven events",
    )

    # -- time moves on, in the data ---------------------------------------
    # The two old paths, entry and closing, six years back.
    moves = StageTransition.__table__
    old_files = moves.c.beneficiary_id.in_([exited_long_ago, dropped_long_ago])
    assert write(platform, "beneficiary", moves.update().where(old_files).values(at=SIX_YEARS_AGO)) == 4
    audit = Audit.__table__
    old_audit_ids = [r.id for r in rows(platform, "beneficiary", sa.select(audit.c.id).order_by(audit.c.id).limit(3))]
    write(platform, "beneficiary", audit.update().where(audit.c.id.in_(old_audit_ids)).values(at=THREE_YEARS_AGO))
    aged_outbox = {}
    aged_inbox = {}
    for service in SERVICES:
        sent = [r.seq for r in rows(platform, service, sa.select(outbox.c.seq).where(outbox.c.sent_at.is_not(None)))]
        aged_outbox[service] = sent[: len(sent) // 2]
        write(
            platform,
            service,
            outbox.update().where(outbox.c.seq.in_(aged_outbox[service])).values(sent_at=FORTY_DAYS_AGO),
        )
        taken = [(r.event_id, r.handler) for r in rows(platform, service, sa.select(inbox.c.event_id, inbox.c.handler))]
        aged_inbox[service] = sorted(taken)[: len(taken) // 2]
        for event_id, handler in aged_inbox[service]:
            write(
                platform,
                service,
                inbox.update()
                .where(inbox.c.event_id == event_id, inbox.c.handler == handler)
                .values(processed_at=FORTY_DAYS_AGO),
            )
    assert aged_outbox["beneficiary"] and aged_inbox["reporting"]
    # An event not yet sent, held for a later attempt: never purged, whatever its age.
    write(
        platform,
        "beneficiary",
        outbox.insert().values(
            event_id="retention-test-unsent",
            audience="internal",
            routing_key="be.mire.beneficiary.test.v1",
            payload="{}",
            created_at=SIX_YEARS_AGO,
            attempts=3,
            next_attempt_at=NOW + timedelta(days=2),
        ),
    )

    # InterMire's facts about one person, eleven years back: past its ten years of sector facts.
    lately = platform.scalar(
        "mirec", "beneficiary", "SELECT pseudonym FROM beneficiary WHERE id = :id", id=exited_lately
    )
    facts_of = "SELECT count(*) FROM sector_fact WHERE pseudonym = :p"
    wait_until(lambda: platform.scalar("intermire", "reporting", facts_of, p=lately) >= 2, what="InterMire's facts")
    old_month = f"{NOW.year - 11}-06"
    aged_sector = platform.scalar("intermire", "reporting", facts_of, p=lately)
    engine = platform.engine("intermire", "reporting")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE sector_fact SET month = :m WHERE pseudonym = :p"), {"m": old_month, "p": lately})
        conn.execute(sa.text("UPDATE sector_entry SET month = :m WHERE pseudonym = :p"), {"m": old_month, "p": lately})
    engine.dispose()
    sector_before = platform.scalar("intermire", "reporting", "SELECT count(*) FROM sector_fact")

    # -- who may, and with what ------------------------------------------
    with pytest.raises(Forbidden):
        platform.rpc("mirec", "beneficiary", "apply_retention", None, True, actor=COUNSELLOR)
    with pytest.raises(ValidationFailed) as refused:
        platform.rpc("mirec", "matching", "apply_retention", {"inbox_days": 1}, False, actor=DIRECTOR)
    assert "inbox_days" in refused.value.errors
    with pytest.raises(ValidationFailed):
        platform.rpc("mirec", "beneficiary", "apply_retention", None, "yes", actor=DIRECTOR)

    # -- the dry run: what would go, and nothing gone ----------------------
    before = {
        service: platform.scalar("mirec", service, "SELECT count(*) FROM outbox")
        + platform.scalar("mirec", service, "SELECT count(*) FROM inbox")
        for service in SERVICES
    }
    audit_before = platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM audit")
    dry = retention(platform, "--dry-run", "mirec", "intermire")
    assert dry["failed"] == [] and dry["dry_run"] is True
    # InterMire's reporting: its messaging log under the platform's periods, and its sector facts past ten years.
    at_intermire = dry["sites"]["intermire"]
    assert at_intermire["periods"]["sector_facts_years"] == 10
    assert at_intermire["reporting"] == at_intermire["reporting"] | {"sector_facts": aged_sector, "sector_entries": 1}
    assert platform.scalar("intermire", "reporting", "SELECT count(*) FROM sector_fact") == sector_before
    said = dry["sites"]["mirec"]
    assert said["periods"] == {
        "closed_files_years": 5,
        "audit_years": 2,
        "outbox_days": 30,
        "inbox_days": 30,
        "transfers_pending_days": 60,
        "referrals_declined_days": 180,
        "sector_facts_years": 10,
    }
    assert sorted(said["beneficiary"]["files"]) == sorted([exited_long_ago, dropped_long_ago])
    assert said["beneficiary"]["audit"] == len(old_audit_ids)
    for service in SERVICES:
        assert said[service]["outbox"] == len(aged_outbox[service]), service
        assert said[service]["inbox"] == len(aged_inbox[service]), service
        assert (
            platform.scalar("mirec", service, "SELECT count(*) FROM outbox")
            + platform.scalar("mirec", service, "SELECT count(*) FROM inbox")
            == before[service]
        )
    assert platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM audit") == audit_before
    assert platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM beneficiary") == 4

    # -- the real run removes exactly that ---------------------------------
    done = retention(platform, "mirec", "intermire")
    assert done["failed"] == [] and done["dry_run"] is False
    assert done["sites"]["intermire"]["reporting"] == dry["sites"]["intermire"]["reporting"]
    gone = done["sites"]["mirec"]
    assert sorted(gone["beneficiary"]["files"]) == sorted(said["beneficiary"]["files"])
    for service in SERVICES:
        for key in ("outbox", "inbox"):
            assert gone[service][key] == said[service][key], (service, key)
    assert gone["beneficiary"]["audit"] == said["beneficiary"]["audit"]
    remaining = {r.id for r in rows(platform, "beneficiary", sa.select(Beneficiary.__table__.c.id))}
    assert remaining == {exited_lately, active}
    # The old audit rows went; the others stayed, and each erasure left its own row.
    kept_audit = {r.id for r in rows(platform, "beneficiary", sa.select(audit.c.id))}
    assert not kept_audit & set(old_audit_ids)
    assert len(kept_audit) == audit_before - len(old_audit_ids) + 2
    erasures = rows(
        platform, "beneficiary", sa.select(audit.c.subject, audit.c.actor).where(audit.c.action == "beneficiary.erase")
    )
    assert sorted(erasures) == sorted((p, "passerelle-retention") for p in (exited_long_ago, dropped_long_ago))
    for service in SERVICES:
        old_sent = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.sent_at < NOW - timedelta(days=30))
        assert rows(platform, service, old_sent)[0][0] == 0, service
        old_taken = sa.select(sa.func.count()).select_from(inbox).where(inbox.c.processed_at < NOW - timedelta(days=30))
        assert rows(platform, service, old_taken)[0][0] == 0, service
    # Recent rows stay: the inbox rows not aged are all there.
    for service in ("reporting",):
        kept = {(r.event_id, r.handler) for r in rows(platform, service, sa.select(inbox.c.event_id, inbox.c.handler))}
        assert not kept & set(aged_inbox[service])
        assert kept, service
    assert (
        platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE event_id = 'retention-test-unsent'")
        == 1
    )

    # -- InterMire dropped the old facts, and nothing recent -----------------
    assert platform.scalar("intermire", "reporting", facts_of, p=lately) == 0
    assert (
        platform.scalar("intermire", "reporting", "SELECT count(*) FROM sector_entry WHERE pseudonym = :p", p=lately)
        == 0
    )
    assert (
        platform.scalar("intermire", "reporting", "SELECT count(*) FROM sector_fact WHERE month >= :m", m=old_month) > 0
    )
    analyst = Actor("ian.analyst", "intermire", ("intermire_analyst",))
    with pytest.raises(ValidationFailed) as dropped_year:
        platform.rpc("intermire", "reporting", "sector_table", "people_accompanied", str(NOW.year - 11), actor=analyst)
    assert list(dropped_year.value.errors) == ["period"]
    try:  # this year's table is computed (four people here: refused as too small, never for retention)
        platform.rpc("intermire", "reporting", "sector_table", "people_accompanied", str(NOW.year), actor=analyst)
    except ValidationFailed as small:
        assert "retention" not in str(small.errors)

    # -- the erased people's sector forget events reach InterMire ----------
    for pseudonym in pseudonyms.values():
        wait_until(
            lambda pseudonym=pseudonym: (
                platform.scalar(
                    "intermire", "reporting", "SELECT count(*) FROM sector_forgotten WHERE pseudonym = :p", p=pseudonym
                )
                == 1
            ),
            what="the erasure at InterMire",
        )
        assert (
            platform.scalar(
                "intermire", "reporting", "SELECT count(*) FROM sector_fact WHERE pseudonym = :p", p=pseudonym
            )
            == 0
        )

    # -- a second run removes nothing ---------------------------------------
    again = retention(platform, "mirec")
    assert again["failed"] == []
    assert again["sites"]["mirec"]["beneficiary"]["files"] == []
    for service in SERVICES:
        assert {k: v for k, v in again["sites"]["mirec"][service].items() if k != "files"} == {
            "outbox": 0,
            "inbox": 0,
            **({"audit": 0} if service == "beneficiary" else {}),
        }
    assert platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM beneficiary") == 2
    again = retention(platform, "intermire")
    assert again["sites"]["intermire"]["reporting"] | {"outbox": 0, "inbox": 0} == {
        "outbox": 0,
        "inbox": 0,
        "sector_facts": 0,
        "sector_entries": 0,
    }
