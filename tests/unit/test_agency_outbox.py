"""Replay and withdrawal on a service's outbox (``kit.agency_outbox``), on a real SQLite outbox table."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from kit import agency_outbox
from kit.errors import ValidationFailed
from kit.storage import KIT_METADATA, outbox

NOW = datetime.now(UTC)


@pytest.fixture
def session():
    engine = sa.create_engine("sqlite://")
    KIT_METADATA.create_all(engine, tables=[outbox])
    with Session(engine) as s:
        yield s
    engine.dispose()


def put(session, event_id, to, subject, days_ago, sent=True, audience="agency"):
    payload = json.dumps(
        {"id": event_id, "subject": subject, "type": "be.mire.beneficiary.registered.v1"}, separators=(",", ":")
    )
    at = NOW - timedelta(days=days_ago)
    session.execute(
        sa.insert(outbox).values(
            event_id=event_id,
            audience=audience,
            routing_key=f"{to}.be.mire.beneficiary.registered.v1" if to else "x",
            payload=payload,
            created_at=at,
            sent_at=at if sent else None,
            attempts=0,
        )
    )


def rows(session):
    return session.execute(
        sa.select(outbox.c.event_id, outbox.c.payload, outbox.c.sent_at).order_by(outbox.c.seq)
    ).all()


def test_replay_copies_what_the_agency_was_sent_since_the_date_keeping_the_event_ids(session):
    put(session, "old", "forem", "F-1", days_ago=10)
    put(session, "recent", "forem", "F-1", days_ago=2)
    put(session, "pending", "forem", "F-2", days_ago=1, sent=False)
    put(session, "actiris-1", "actiris", "A-1", days_ago=1)
    put(session, "internal-1", None, "x", days_ago=1, audience="internal")
    assert agency_outbox.replay(session, "forem", date.today() - timedelta(days=3)) == 1
    copies = [r for r in rows(session) if agency_outbox.REPLAY_MARK in r.event_id]
    assert [json.loads(r.payload)["id"] for r in copies] == ["recent"] and copies[0].sent_at is None
    # A copy is never replayed again as if it were an original.
    session.execute(sa.update(outbox).values(sent_at=NOW))
    assert agency_outbox.replay(session, "forem", date.today() - timedelta(days=3)) == 2  # recent and pending


def test_drop_forgets_one_subject_for_one_agency_only(session):
    put(session, "f1", "forem", "F-1", days_ago=1)
    put(session, "f1-pending", "forem", "F-1", days_ago=0, sent=False)
    put(session, "f1-like", "forem", "F-10", days_ago=1)
    put(session, "a1", "actiris", "F-1", days_ago=1)
    assert agency_outbox.drop(session, "forem", "F-1") == 2
    assert [r.event_id for r in rows(session)] == ["f1-like", "a1"]


def test_a_replay_request_names_each_bad_argument():
    with pytest.raises(ValidationFailed) as refused:
        agency_outbox.replay_request(db=None, agency="vdab", since="2026-13-01")
    assert set(refused.value.errors) == {"agency", "since"}
