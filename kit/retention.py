"""Retention: how long a Mission keeps what it no longer needs, and the purges every service shares.

The periods are the Mission's (``retention:`` in the registry, ``kit.registry``; the platform's block gives
the defaults, a site's block overrides some of them) and are checked here, by one schema, at both ends:
when the registry is loaded (a clear error naming the setting) and when a service is asked to apply them
(``apply_retention``, called by ``passerelle retention`` for every site, with its site's periods).

What every service holds and purges alike is its messaging log (``kit.storage``):

- **outbox rows already sent**, older than ``outbox_days`` after sending. A row not yet sent is never
  touched, whatever its age: it is an event still owed to its consumers. Sent rows are what
  ``agency-replay`` and a Mission's own replays read, so ``outbox_days`` is also how far back those reach.
- **inbox rows** older than ``inbox_days`` after they took effect. An inbox row exists to refuse a second
  copy of an event already applied. A second copy exists only while a copy still waits for delivery: the
  relay re-publishes a row whose confirm it lost within a minute (``kit.relay.MAX_BACKOFF``), a shovel
  re-publishes what it had not confirmed as soon as it reconnects, and a quorum queue redelivers an
  unacknowledged message at most ``x-delivery-limit`` times before dead-lettering it. So every copy has been
  published by the time the first took effect (or within a minute of it), and waits in a queue only while its
  consumer is stopped: the seven-day floor (``MIN_MESSAGE_DAYS``) covers a consumer stopped over a long
  weekend several times over, and the default thirty days a month-long outage. Replays are not at risk:
  they carry new message ids, and their consumers deduplicate by what they hold, not by this inbox.

Both purge in batches (``BATCH`` rows a transaction), so a large backlog never holds the write lock (SQLite)
or a long transaction (PostgreSQL) against the service's own writes; a crash between batches leaves a smaller
backlog for the next run, never a half-deleted batch. A dry run counts with the same conditions.

The person-level rules (files closed for years, the audit trail, transfer requests left unanswered, partners'
referrals declined) are the
beneficiary service's (``beneficiary.retention``); InterMire's pseudonymised facts older than
``sector_facts_years`` are its reporting's (``reporting.retention``). ``sector_facts_years`` is an InterMire
setting: a Mission's own block may not set it (``kit.registry``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from kit.errors import ValidationFailed
from kit.storage import inbox, outbox

# Rows deleted per transaction, and transactions per table in one call: a call's work is bounded, so it
# answers well inside its RPC budget, and the caller (``passerelle retention``) calls again while ``more``.
BATCH = 1000
BATCHES_PER_CALL = 10
# The shortest outbox and inbox periods accepted (why: the module's docstring).
MIN_MESSAGE_DAYS = 7
# A closed file and the audit trail are kept a year at least: a person who comes back within the year finds
# their file, and the data-protection officer reviews at least a year of reads.
MIN_YEARS = 1
# A transfer request is left a fortnight at least before it expires: the receiving Mission's counsellors
# need to read it, and a holiday week should not decline a person's move for them.
MIN_PENDING_DAYS = 14
# A declined referral is kept a month at least: the partner reads the answer and its reason, and the same person
# sent again with nothing new within that time is still recognised and refused (beneficiary.referrals).
MIN_DECLINED_DAYS = 30


@dataclass(frozen=True)
class Periods:
    """A Mission's retention periods."""

    closed_files_years: int = 5
    audit_years: int = 2
    outbox_days: int = 30
    inbox_days: int = 30
    # A transfer request received and never answered is declined after this many days (``beneficiary.retention``).
    transfers_pending_days: int = 60
    # A partner's referral declined is deleted this many days after its answer (``beneficiary.retention``).
    referrals_declined_days: int = 180
    # InterMire only: its pseudonymised facts are kept for the funders' multi-year comparisons, then dropped.
    sector_facts_years: int = 10

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


DEFAULTS = Periods()


def _period(low: int, high: int) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(low, high, error=f"must be between {low} and {high}"))


class PeriodsSchema(Schema):
    """The ``retention:`` block: every key optional, unknown keys refused."""

    closed_files_years = _period(MIN_YEARS, 100)
    audit_years = _period(MIN_YEARS, 100)
    outbox_days = _period(MIN_MESSAGE_DAYS, 3650)
    inbox_days = _period(MIN_MESSAGE_DAYS, 3650)
    transfers_pending_days = _period(MIN_PENDING_DAYS, 3650)
    referrals_declined_days = _period(MIN_DECLINED_DAYS, 3650)
    sector_facts_years = _period(MIN_YEARS, 100)


def periods(*layers: Mapping[str, Any] | None) -> Periods:
    """The defaults, overridden by each layer in turn (the platform's block, then the site's); checked."""
    merged: dict[str, Any] = DEFAULTS.as_dict()
    for layer in layers:
        if layer:
            merged.update(layer)
    try:
        return Periods(**PeriodsSchema().load(merged))
    except ValidationError as exc:
        raise ValidationFailed(exc.normalized_messages()) from None


def load_periods(given: object) -> Periods:
    """What a caller of ``apply_retention`` sends, as ``Periods`` (field-level ``ValidationFailed``)."""
    if given is None:
        return DEFAULTS
    if not isinstance(given, Mapping):
        raise ValidationFailed({"periods": ["must be an object"]})
    return periods(given)


def load_dry_run(given: object) -> bool:
    if not isinstance(given, bool):
        raise ValidationFailed({"dry_run": ["must be true or false"]})
    return given


def cutoff(now: datetime, *, days: int = 0, years: int = 0) -> datetime:
    """``now`` less the period: a year counted as 365 days (a leap day more or less is no matter here)."""
    return now - timedelta(days=days + 365 * years)


# -- the messaging log every service keeps --------------------------------
def apply_to_messages(
    transaction: Transaction, now: datetime, given_periods: object, dry_run: object
) -> dict[str, Any]:
    """What ``apply_retention`` does in a service holding nothing else to purge: the arguments checked (field
    errors before anything is read), then ``purge_messages``, with the periods applied in the answer."""
    checked, dry = load_periods(given_periods), load_dry_run(dry_run)
    return {"dry_run": dry, "periods": checked.as_dict()} | purge_messages(transaction, checked, now, dry)


Transaction = Callable[[], AbstractContextManager[Session]]


def outbox_purgeable(before: datetime) -> ColumnElement[bool]:
    # Sent only: ``sent_at IS NULL`` compares as unknown, so an unsent row never matches.
    return outbox.c.sent_at < before


def inbox_purgeable(before: datetime) -> ColumnElement[bool]:
    return inbox.c.processed_at < before


def purge_messages(transaction: Transaction, periods: Periods, now: datetime, dry_run: bool) -> dict[str, Any]:
    """Sent outbox rows and inbox rows older than their periods: ``{"outbox": n, "inbox": n, "more": bool}``
    gone (or that would go, when ``dry_run``); ``more`` when this call stopped at its bound with rows left."""
    sent_before = cutoff(now, days=periods.outbox_days)
    processed_before = cutoff(now, days=periods.inbox_days)
    if dry_run:
        with transaction() as session:
            return {
                "outbox": _count(session, outbox, outbox_purgeable(sent_before)),
                "inbox": _count(session, inbox, inbox_purgeable(processed_before)),
                "more": False,
            }
    gone_outbox, more_outbox = purge(transaction, outbox.c.seq, outbox_purgeable(sent_before))
    gone_inbox, more_inbox = purge(transaction, inbox.c.event_id, inbox_purgeable(processed_before))
    return {"outbox": gone_outbox, "inbox": gone_inbox, "more": more_outbox or more_inbox}


def _count(session: Session, table: Any, condition: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(table).where(condition)) or 0


def purge(transaction: Transaction, key: Any, condition: ColumnElement[bool]) -> tuple[int, bool]:
    """Delete the rows of ``key``'s table matching ``condition``, ``BATCH`` keys a transaction, at most
    ``BATCHES_PER_CALL`` transactions: (rows deleted, whether matching rows may be left).

    A key need not be unique: the inbox's key is (event_id, handler), and a batch of event ids deletes every
    row of theirs that matches, which may be a few more rows than ``BATCH`` and is still only what matches.
    """
    table, gone = key.table, 0
    for _ in range(BATCHES_PER_CALL):
        with transaction() as session:
            keys = list(session.scalars(select(key).where(condition).distinct().order_by(key).limit(BATCH)))
            if keys:
                result = session.execute(delete(table).where(condition, key.in_(keys)))
                gone += getattr(result, "rowcount", 0) or 0
        if len(keys) < BATCH:
            return gone, False
    return gone, True
