"""InterMire's retention: its pseudonymised facts are kept ``sector_facts_years``, then dropped.

The period is the InterMire site's (``retention:`` in the registry, ``kit.retention.Periods``; default ten
years, checked at load) and is applied by ``passerelle retention`` with the messaging log's purges.

* Facts dated (by month) before January of the year ``sector_facts_years`` back are deleted: whole years go,
  so no year's table is ever computed from half its facts. An entry (a person's registration at a Mission)
  goes with them once the person has no fact left from that Mission.
* What was published stays: each Mission's approved submissions are frozen in its own reporting
  (``reporting.submissions``), and InterMire keeps the record of who submitted which period
  (``sector_submission``), never recomputed. What InterMire can no longer do is compute a table of a
  dropped year again: ``oldest_period`` refuses one (422 on ``period``) instead of answering zeros.
* The month before which facts were dropped is kept (``sector_retention``): a replayed or late fact older than
  it is dropped again by the next run.

Deleted in batches (``kit.retention.BATCH`` rows a transaction), a dry run counts with the same conditions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from kit import retention
from kit.errors import ValidationFailed
from reporting.models import SectorEntry, SectorFact, SectorRetention
from reporting.periods import Period


def facts_before(now: datetime, years: int) -> str:
    """The first month kept: January of the year ``years`` back (``YYYY-MM``)."""
    return f"{now.year - years:04d}-01"


def _old_fact(month: str):
    return SectorFact.month < month


def _orphan_entry(month: str):
    # An old entry whose person has no fact left from that Mission.
    kept = exists().where(
        and_(SectorFact.mission == SectorEntry.mission, SectorFact.pseudonym == SectorEntry.pseudonym)
    )
    return and_(SectorEntry.month < month, ~kept)


def apply(transaction: retention.Transaction, now: datetime, given_periods: object, dry_run: object) -> dict[str, Any]:
    """The messaging log's purges (``kit.retention``), then the sector facts and entries past the period:
    ``{"dry_run", "periods", "outbox", "inbox", "sector_facts", "sector_entries", "facts_before", "more"}``."""
    checked, dry = retention.load_periods(given_periods), retention.load_dry_run(dry_run)
    out: dict[str, Any] = {"dry_run": dry, "periods": checked.as_dict()}
    out |= retention.purge_messages(transaction, checked, now, dry)
    month = facts_before(now, checked.sector_facts_years)
    out["facts_before"] = month
    if dry:
        with transaction() as session:
            out["sector_facts"] = _count(session, SectorFact, _old_fact(month))
            entries = _count(session, SectorEntry, SectorEntry.month < month)
            # Entries that would go: the old ones whose person has no fact at or after the month.
            recent = exists().where(
                and_(
                    SectorFact.mission == SectorEntry.mission,
                    SectorFact.pseudonym == SectorEntry.pseudonym,
                    SectorFact.month >= month,
                )
            )
            out["sector_entries"] = entries - _count(session, SectorEntry, and_(SectorEntry.month < month, recent))
        return out
    gone_facts, more_facts = retention.purge(transaction, SectorFact.__table__.c.event_id, _old_fact(month))
    gone_entries, more_entries = 0, True
    if not more_facts:
        gone_entries, more_entries = retention.purge(
            transaction, SectorEntry.__table__.c.pseudonym, _orphan_entry(month)
        )
    out |= {"sector_facts": gone_facts, "sector_entries": gone_entries}
    out["more"] = out["more"] or more_facts or more_entries
    if not out["more"]:
        with transaction() as session:
            mark = session.get(SectorRetention, 1)
            if mark is None:
                session.add(SectorRetention(id=1, facts_before=month, applied_at=now))
            else:
                mark.facts_before, mark.applied_at = max(mark.facts_before, month), now
    return out


def _count(session: Session, model: Any, condition: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(condition)) or 0


def check_period(session: Session, period: Period) -> None:
    """Refuse a table of a period whose facts were dropped (its figures would read as zeros)."""
    mark = session.get(SectorRetention, 1)
    first = f"{period.first // 12:04d}-{period.first % 12 + 1:02d}"
    if mark is not None and first < mark.facts_before:
        raise ValidationFailed(
            {
                "period": [
                    f"InterMire keeps its facts from {mark.facts_before} on (retention): the figures of an earlier "
                    "period are the Missions' approved submissions"
                ]
            }
        )
