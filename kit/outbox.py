"""Writing integration events to the transactional outbox.

A service never publishes an event itself: it adds it to the outbox in the
transaction that makes the change, and the relay (``kit.relay``) publishes
it after commit. The change and its event are committed together or not at
all, so a crash can delay an event but never lose it.

The rows a transaction adds are held by its session and written with one
multi-row INSERT just before the commit, or before the session's next
statement, so that every statement of the transaction (an erasure deleting
kept events, say) sees them: one INSERT per event cost a bulk write
(an import, a replay) most of its time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.orm import ORMExecuteState, Session

from contracts.agency.catalogue import AGENCIES
from contracts.envelope import EXCHANGES, Event
from kit.storage import outbox

__all__ = ["ADDRESSED", "AGENCIES", "EXCHANGES", "add", "routing_key", "write_pending"]
# Audiences whose routing key starts with the recipient: an agency (agency events, and the feedback on what an
# agency sent), or a Mission (signals, transfers).
ADDRESSED = ("agency", "signal", "transfer", "feedback")


def routing_key(event: Event, to: str | None = None) -> str:
    if event.audience in ("agency", "feedback") and to not in AGENCIES:
        raise ValueError(f"an agency event needs its agency (one of {AGENCIES}), got {to!r}")
    if event.audience in ("signal", "transfer") and not to:
        raise ValueError(f"a {event.audience} event needs the Mission it is for")
    return f"{to}.{event.type}" if event.audience in ADDRESSED else event.type


def add(session: Session, event: Event, *, to: str | None = None) -> None:
    """Queue ``event`` for publication when ``session``'s transaction commits.

    ``to`` names the recipient of an agency or feedback event (``forem``, ``actiris``), or the Mission (its code)
    a signal or a transfer is for.
    """
    session.info.setdefault(_PENDING, []).append(
        {
            "event_id": event.id,
            "audience": event.audience,
            "routing_key": routing_key(event, to),
            "payload": json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":")),
            "created_at": datetime.now(UTC),
            "attempts": 0,
        }
    )
    session.info["outbox_added"] = True


_PENDING = "outbox_pending"


def write_pending(session: Session) -> None:
    """Write the rows ``add`` holds for ``session`` (one multi-row INSERT); a no-op when there are none."""
    rows = session.info.pop(_PENDING, None)
    if rows:
        session.connection().execute(insert(outbox), rows)


@sa_event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    write_pending(session)


@sa_event.listens_for(Session, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    # Any statement of the transaction may read or delete outbox rows: they are written first.
    if _PENDING in state.session.info:
        write_pending(state.session)


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
