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

# Each audience has its own exchange in a Mission's vhost; the broker's
# shovels carry the sector and agency exchanges' traffic out of the Mission.
EXCHANGES = {
    "internal": "passerelle.events",
    "sector": "passerelle.sector",
    "agency": "passerelle.agency",
}
AGENCIES = ("forem", "actiris")


def routing_key(event: Event, agency: str | None = None) -> str:
    if event.audience == "agency":
        if agency not in AGENCIES:
            raise ValueError(f"an agency event needs its agency (one of {AGENCIES}), got {agency!r}")
        return f"{agency}.{event.type}"
    return event.type


def add(session: Session, event: Event, *, agency: str | None = None) -> None:
    """Queue ``event`` for publication when ``session``'s transaction commits."""
    session.execute(insert(outbox).values(
        event_id=event.id,
        audience=event.audience,
        routing_key=routing_key(event, agency),
        payload=json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":")),
        created_at=datetime.now(UTC),
        attempts=0,
    ))
    session.info["outbox_added"] = True
