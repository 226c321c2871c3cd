"""Writing integration events to the transactional outbox.

A service never publishes an event itself: it adds it to the outbox in the
transaction that makes the change, and the relay (``kit.relay``) publishes
it after commit. The change and its event are committed together or not at
all, so a crash can delay an event but never lose it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from contracts.envelope import Event
from kit.storage import outbox

# Each audience has its own exchange; the broker's shovels carry the sector and
# agency exchanges' traffic out of a Mission, and the signals exchange's
# traffic from InterMire to the Mission each signal names.
EXCHANGES = {
    "internal": "passerelle.events",
    "sector": "passerelle.sector",
    "agency": "passerelle.agency",
    "signal": "passerelle.signals",
}
AGENCIES = ("forem", "actiris")
ADDRESSED = ("agency", "signal")  # audiences whose routing key starts with the recipient


def routing_key(event: Event, to: str | None = None) -> str:
    if event.audience == "agency" and to not in AGENCIES:
        raise ValueError(f"an agency event needs its agency (one of {AGENCIES}), got {to!r}")
    if event.audience == "signal" and not to:
        raise ValueError("a signal needs the Mission it is for")
    return f"{to}.{event.type}" if event.audience in ADDRESSED else event.type


def add(session: Session, event: Event, *, to: str | None = None) -> None:
    """Queue ``event`` for publication when ``session``'s transaction commits.

    ``to`` names the recipient of an agency event (``forem``, ``actiris``) or a signal (a Mission code).
    """
    # Through the session's connection, not the ORM's execute: the same transaction at half the cost per row,
    # and a bulk load or a busy service adds many rows.
    session.connection().execute(insert(outbox).values(
        event_id=event.id,
        audience=event.audience,
        routing_key=routing_key(event, to),
        payload=json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":")),
        created_at=datetime.now(UTC),
        attempts=0,
    ))
    session.info["outbox_added"] = True
