"""The Mission's retention schedule, the beneficiary service's part: closed files, the audit trail, its messages.

- A **file closed** (the person exited the path, or dropped out and did not come back) for more than
  ``closed_files_years`` is erased through the erasure every director's request goes through
  (``application.erase``): statistical residue kept, the person's sent events dropped, and the erasure event
  published (the Mission's services forget the person, and InterMire its pseudonym's records while keeping
  its published figures). Closed since when: the last exit or drop-out move of the person's path.
- **Audit rows** older than ``audit_years`` are deleted (the trail of who read whose file, by reference).
- A **transfer request received** and still unanswered ``transfers_pending_days`` after it was made is
  declined with the reason ``expired`` (``beneficiary.transfer_records``): the file it carried is dropped here,
  and the answer tells the sending Mission, whose file stays open (it may ask again). Audited as
  ``beneficiary.transfer.expire``.
- A **partner's referral declined** is deleted ``referrals_declined_days`` after its answer: what the partner
  gave of a person the Mission did not take in is kept only while the partner may read the answer and a same
  referral sent again may be recognised (``beneficiary.referrals``). A referral accepted went into the file and
  goes with it (erasure); one still unanswered waits in the counsellors' list.
- The outbox and inbox as every service purges them (``kit.retention``).

A dry run answers the same counts and the same file ids without writing anything. The real run's order matters
for that promise: the messages and audit rows by age first, then the expired requests and the erasures (which
drop the erased person's sent events whatever their age, and add an audit row of their own, now), so the
counts by age are those the dry run gave. Each erasure (and each expired request) is its own transaction with
its events (outbox), at most ``FILES_PER_CALL`` of each a call: ``passerelle retention`` calls again while
``more``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from beneficiary import application as app
from beneficiary import transfer_records
from beneficiary.enums import DROPPED_OUT, EXITED, KIND_DROPPED_OUT, KIND_EXITED
from beneficiary.models import Audit, Beneficiary, Referral, StageTransition
from beneficiary.referrals import DECLINED
from kit.actor import Actor
from kit.application import Clock, Outcome, to_outbox
from kit.errors import NotFound
from kit.retention import Periods, Transaction, cutoff, purge, purge_messages

FILES_PER_CALL = 100


def closed_files(session: Session, before: datetime, limit: int | None = None) -> list[str]:
    """Ids of the files closed (exited or dropped out, and still so) before ``before``, in id order."""
    closed = (
        select(StageTransition.beneficiary_id, func.max(StageTransition.at).label("closed_at"))
        .where(StageTransition.kind.in_((KIND_EXITED, KIND_DROPPED_OUT)))
        .group_by(StageTransition.beneficiary_id)
        .subquery()
    )
    query = (
        select(Beneficiary.id)
        .join(closed, closed.c.beneficiary_id == Beneficiary.id)
        .where(Beneficiary.status.in_((EXITED, DROPPED_OUT)), closed.c.closed_at < before)
        .order_by(Beneficiary.id)
    )
    return list(session.scalars(query.limit(limit) if limit else query))


def apply(
    transaction: Transaction, actor: Actor, clock: Clock, source: str, periods: Periods, dry_run: bool
) -> dict[str, Any]:
    """The schedule applied once (or only counted, ``dry_run``): ``{"dry_run", "periods", "outbox", "inbox",
    "audit", "referrals", "transfers", "files", "more"}``, ``referrals`` how many declined referrals go, ``files``
    the ids of the files erased (or that would be), ``transfers`` those of the requests declined as expired (or
    that would be)."""
    now = clock.now()
    files_before = cutoff(now, years=periods.closed_files_years)
    audit_old = Audit.at < cutoff(now, years=periods.audit_years)
    requested_before = cutoff(now, days=periods.transfers_pending_days).date()
    declined_old = (Referral.status == DECLINED) & (
        Referral.answered_on < cutoff(now, days=periods.referrals_declined_days).date()
    )
    answer: dict[str, Any] = {"dry_run": dry_run, "periods": periods.as_dict()}
    if dry_run:
        messages = purge_messages(transaction, periods, now, dry_run=True)
        with transaction() as session:
            audit = session.scalar(select(func.count()).select_from(Audit).where(audit_old)) or 0
            referrals = session.scalar(select(func.count()).select_from(Referral).where(declined_old)) or 0
            files = closed_files(session, files_before)
            transfers = transfer_records.expired(session, requested_before)
        counts = {"audit": audit, "referrals": referrals, "transfers": transfers, "files": files}
        return answer | messages | counts | {"more": False}
    messages = purge_messages(transaction, periods, now, dry_run=False)
    audit, more_audit = purge(transaction, Audit.__table__.c.id, audit_old)
    referrals, more_referrals = purge(transaction, Referral.__table__.c.id, declined_old)
    with transaction() as session:
        expiring = transfer_records.expired(session, requested_before, FILES_PER_CALL + 1)
    declined = []
    for transfer_id in expiring[:FILES_PER_CALL]:
        with transaction() as session:
            sent = transfer_records.decline_expired(session, actor.sub, now, source, transfer_id)
            if not sent:
                continue  # answered by a counsellor since it was listed
            app.audit(session, actor, clock, "beneficiary.transfer.expire", transfer_id, "retention")
            to_outbox(session, Outcome(None, sent))
        declined.append(transfer_id)
    with transaction() as session:
        due = closed_files(session, files_before, FILES_PER_CALL + 1)
    erased = []
    for beneficiary_id in due[:FILES_PER_CALL]:
        with transaction() as session:
            try:
                to_outbox(session, app.erase(session, actor, clock, source, beneficiary_id))
            except NotFound:
                continue  # erased on request since it was listed: nothing more to do
        erased.append(beneficiary_id)
    more = (
        messages["more"] or more_audit or more_referrals or len(due) > FILES_PER_CALL or len(expiring) > FILES_PER_CALL
    )
    counts = {"audit": audit, "referrals": referrals, "transfers": declined, "files": erased}
    return answer | messages | counts | {"more": more}
