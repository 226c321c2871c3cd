"""A file's transfers as the data-protection duties see them: the person's copy, erasure, and expiry.

The ``transfer`` table (``models.Transfer``) holds personal data in three places: the file it names
(``beneficiary_id``: at the sender its file, at the receiver the file made by accepting), the free-text
reasons (the counsellor's why, the receiver's answer), and, at the receiver until it answers, the whole file
it was sent (``file``: identity with the national number, path, plans, notes). At the sender, the request's
outbox row holds that file too, until the answer comes. Declined at the receiver, ``file`` is dropped and the
row names no one (no file, no number); accepted, it names the file made from it.

- **Subject access** (``copy``): the transfers of the person's file, and the requests received for their
  national number still awaiting an answer, as references, Missions, dates, status and reasons; never the
  file a request carried (the copy holds the file as this Mission keeps it already).
- **Erasure** (``forget``): rows naming the file lose that reference and their reasons (the row stays, the
  record that a transfer between two Missions took place, with its counts); a request still awaiting an
  answer loses its outbox row whether sent or not, so the file goes nowhere else from here. A request
  received for the person's number and still pending is declined (reason ``erased``), which tells the
  sender (whose file stays open) and drops what was sent. A request sent and already delivered stays at
  the receiver: no event withdraws a request (yet).
- **Expiry** (``expired``, ``decline_expired``): a request received and never answered keeps the person's
  data here for as long as no one answers; after ``transfers_pending_days`` the retention job declines it
  (reason ``expired``), as a counsellor would.

Free of nameko and of ``beneficiary.application`` (which calls ``forget`` from its erasure).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from beneficiary.enums import RECEIVED, TRANSFER_DECLINED, TRANSFER_REQUESTED
from beneficiary.models import Beneficiary, Transfer
from contracts import transfer as contract
from contracts.payloads import build
from kit.application import Addressed
from kit.storage import outbox as outbox_table
from kit.subject_access import records

ERASED, EXPIRED = "erased", "expired"  # the reasons a request is declined without a counsellor
# Never in a person's copy: the file a request carried (as sent, not as this Mission keeps it) and the
# outbox row's id (a technical reference).
NOT_COPIED = ("file", "event_id")


def mission_of(source: str) -> str:
    """The Mission code of a CloudEvents source (``/missions/<code>/<service>``)."""
    return source.strip("/").split("/")[1]


def answer(row: Transfer, site: str, source: str, accepted: bool, on: date, reason: str | None) -> Addressed:
    """The answer to a request this Mission received, addressed to its sender (no personal data)."""
    payload = contract.TransferAnsweredV1(
        transfer_id=row.id, from_mission=site, to_mission=row.mission, accepted=accepted, answered_on=on, reason=reason
    )
    return build(payload, source=source, subject=row.id), row.mission


def _pending_for(session: Session, niss: str | None) -> list[Transfer]:
    """Requests received for this national number and not yet answered (few: they are answered or expire)."""
    if niss is None:
        return []
    pending = session.scalars(
        select(Transfer)
        .where(Transfer.direction == RECEIVED, Transfer.status == TRANSFER_REQUESTED)
        .order_by(Transfer.requested_on, Transfer.id)
    )
    return [row for row in pending if row.file and row.file.get("person", {}).get("niss") == niss]


def copy(session: Session, who: Beneficiary) -> list[dict[str, Any]]:
    """The person's part of the transfer table: the file's transfers, then requests pending for their number."""
    rows = list(
        session.scalars(
            select(Transfer).where(Transfer.beneficiary_id == who.id).order_by(Transfer.requested_on, Transfer.id)
        )
    )
    return records([*rows, *_pending_for(session, who.niss)], leave_out=NOT_COPIED)


def _decline(row: Transfer, by: str | None, on: date, reason: str) -> None:
    row.status, row.file = TRANSFER_DECLINED, None
    row.answered_by, row.answered_on, row.answer_reason = by, on, reason


def forget(session: Session, by: str | None, today: date, source: str, who: Beneficiary) -> list[Addressed]:
    """Erase the person from the transfer table (the module's docstring); the answers owed to senders."""
    for row in session.scalars(select(Transfer).where(Transfer.beneficiary_id == who.id)):
        if row.event_id:
            # The request's event is the whole file: gone, sent or not (an answer still matches the row).
            session.execute(delete(outbox_table).where(outbox_table.c.event_id == row.event_id))
        row.beneficiary_id, row.event_id, row.file = None, None, None
        row.reason, row.answer_reason = "", None
    answers = []
    for row in _pending_for(session, who.niss):
        _decline(row, by, today, ERASED)
        row.reason = ""
        answers.append(answer(row, mission_of(source), source, False, today, ERASED))
    return answers


def expired(session: Session, before: date, limit: int | None = None) -> list[str]:
    """Ids of the requests received before ``before`` and still unanswered, oldest first."""
    query = (
        select(Transfer.id)
        .where(
            Transfer.direction == RECEIVED,
            Transfer.status == TRANSFER_REQUESTED,
            Transfer.requested_on < before,
        )
        .order_by(Transfer.requested_on, Transfer.id)
    )
    return list(session.scalars(query.limit(limit) if limit else query))


def decline_expired(session: Session, by: str | None, now: datetime, source: str, transfer_id: str) -> list[Addressed]:
    """Decline one expired request (``expired``): its file dropped, the sender told; [] if answered since."""
    row = session.get(Transfer, transfer_id)
    if row is None or row.direction != RECEIVED or row.status != TRANSFER_REQUESTED:
        return []
    _decline(row, by, now.date(), EXPIRED)
    return [answer(row, mission_of(source), source, False, now.date(), EXPIRED)]
