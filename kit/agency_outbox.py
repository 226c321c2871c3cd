"""The agency events a service keeps in its outbox (``kit.outbox``), and what it does with them.

A service's outbox already holds every agency event it published (sent rows
are kept), so it is the log an agency replays from: ``replay`` copies the
rows an agency received since a date back into the outbox as new pending
rows, and the relay and the shovel carry them the same way as the first
time. The copies keep the CloudEvents ``id`` in their body (the agency's
deduplication key); only the outbox row — and so the AMQP ``message_id`` —
is new. ``drop`` removes what a withdrawn consent or an ended legal basis
must no longer send, so a later replay cannot resend it.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, delete, insert, select
from sqlalchemy.orm import Session

from contracts.agency.catalogue import AGENCIES
from kit.errors import ValidationFailed
from kit.storage import outbox

if TYPE_CHECKING:
    from kit.db import Database

log = logging.getLogger(__name__)

REPLAY_MARK = "~replay-"


def _for_agency(agency: str) -> ColumnElement[bool]:
    if agency not in AGENCIES:
        raise ValueError(f"unknown agency {agency!r}")
    return and_(outbox.c.audience == "agency", outbox.c.routing_key.startswith(f"{agency}.", autoescape=True))


def replay(session: Session, agency: str, since: date) -> int:
    """Queue again every agency event ``agency`` was sent from ``since`` (inclusive); return how many."""
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    rows = session.execute(
        select(outbox.c.event_id, outbox.c.routing_key, outbox.c.payload)
        .where(
            _for_agency(agency),
            outbox.c.sent_at.is_not(None),
            outbox.c.created_at >= start,
            outbox.c.event_id.not_like(f"%{REPLAY_MARK}%"),
        )
        .order_by(outbox.c.seq)
    ).all()
    if not rows:
        return 0
    token, now = uuid.uuid4().hex[:8], datetime.now(UTC)
    session.execute(
        insert(outbox),
        [
            {
                "event_id": f"{r.event_id}{REPLAY_MARK}{token}",
                "audience": "agency",
                "routing_key": r.routing_key,
                "payload": r.payload,
                "created_at": now,
                "attempts": 0,
            }
            for r in rows
        ],
    )
    session.info["outbox_added"] = True  # wakes the relay, as kit.outbox.add does
    return len(rows)


def drop(session: Session, agency: str, subject: str) -> int:
    """Forget the kept (and not yet sent) events about ``subject`` for ``agency``; return how many."""
    # Payloads are compact JSON (kit.outbox), so the subject appears exactly like this.
    needle = '"subject":' + json.dumps(subject, ensure_ascii=False)
    result = session.execute(
        delete(outbox).where(_for_agency(agency), outbox.c.payload.contains(needle, autoescape=True))
    )
    return getattr(result, "rowcount", 0) or 0


def replay_request(db: Database, agency: str, since: object) -> dict[str, Any]:
    """What a service's ``replay_agency_events(agency, since)`` RPC does: check, replay, say how many."""
    try:
        day = date.fromisoformat(since) if isinstance(since, str) else None
    except ValueError:
        day = None
    errors: dict[str, Any] = {}
    if agency not in AGENCIES:
        errors["agency"] = [f"one of {', '.join(AGENCIES)}"]
    if day is None:
        errors["since"] = ["an ISO date (YYYY-MM-DD) is expected"]
    if errors or day is None:
        raise ValidationFailed(errors)
    with db.transaction() as session:
        count = replay(session, agency, day)
    log.info("replaying %d agency events to %s since %s", count, agency, day.isoformat())
    return {"agency": agency, "since": day.isoformat(), "replayed": count}
