"""Corrections with history: one optimistic-concurrency rule and one change log for every file a service corrects.

A corrected record (a person, an employer, a contact, a vacancy) carries ``version``, an integer that starts
at 1 and goes up by one with each correction. A client reads the version with the record and sends it back
with its correction (the body's ``version`` field: a form carries it as a hidden field, and a body is what
every route already validates). The correction is applied only if the record is still at that version:

* ``claim`` moves the row from the version sent to the next one with one ``UPDATE … WHERE version = sent``.
  On PostgreSQL a concurrent correction of the same row waits for the first one's row lock and then finds
  the version moved (0 rows): no read-then-write race, whatever the isolation level. On SQLite write
  transactions are serialised anyway. A stale version is ``StaleVersion`` (a ``Conflict``: 409 at the
  gateway) naming the current version and who changed it last, when, and nothing is written.
* ``apply`` sets the fields that differ and returns each as a ``Change`` (field, before, after, as JSON
  values), and ``history_rows`` turns them into rows of the service's ``correction`` table: who, with which
  role, when, which version the change made. A correction that changes nothing is refused (422) rather than
  counted as a version.

The version counts corrections, not every write: a stage move, a vacancy's opening or a contact's erasure
keeps its own log and rules and does not make a correction stale, since it changes none of the fields a
correction edits.

Values in the history are what the record held, so the history of a person is personal data: it stays in
the Mission's own database, goes with the person when they are erased, and never enters an event (events
name the fields that changed, not their values).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from marshmallow import ValidationError, fields, validate, validates_schema
from nameko.exceptions import deserialize_to_instance
from sqlalchemy import JSON, DateTime, Index, Integer, String, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from kit import inputs
from kit.errors import Conflict, ValidationFailed

if TYPE_CHECKING:  # the actor's class lives beside its nameko dependency provider
    from kit.actor import Actor

VERSION = "version"
# A record's version is an INTEGER column: a version past it is refused on its field, not by the database.
MAX_VERSION = 2**31 - 1


def version_field(record: str) -> fields.Field:
    """The ``version`` a correction sends back: the one of the ``record`` it read (409 if corrected since)."""
    return fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(1, MAX_VERSION),
        metadata={"description": f"the version of the {record} you read: refused (409) if it was corrected since"},
    )


class CorrectionBody:
    """What every correction body's schema shares (a mixin placed before the marshmallow ``Schema`` it
    corrects): ``version`` is required (declare it with ``version_field``), every other declared field may be
    left out, since a correction sends only what changes, and a body that carries nothing but the version is
    refused on ``_schema`` (422) before any use case reads it."""

    _declared_fields: dict[str, fields.Field]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("partial", tuple(name for name in type(self)._declared_fields if name != VERSION))
        super().__init__(**kwargs)

    @validates_schema
    def _something_to_correct(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        if set(data) <= {VERSION}:
            raise ValidationError("nothing to correct: send at least one field besides the version")


@deserialize_to_instance
class StaleVersion(Conflict):
    """The record was corrected since the version the client read: 409, with who and when."""

    def __init__(
        self,
        what: str,
        ref: str,
        sent: int,
        current: int,
        changed_by: str | None = None,
        changed_at: str | None = None,
    ):
        # nameko rebuilds the exception from its arguments: every one is JSON-safe.
        Exception.__init__(self, what, ref, sent, current, changed_by, changed_at)
        self.what, self.ref = what, ref
        self.sent, self.current = int(sent), int(current)
        self.changed_by, self.changed_at = changed_by, changed_at
        by = f" by {changed_by}" if changed_by else ""
        at = f" at {changed_at}" if changed_at else ""
        self.message = (
            f"this {what} was changed{by}{at} since you read version {self.sent}: it is now at version "
            f"{self.current}; reload it and apply your correction again"
        )
        self.existing = ref

    @property
    def details(self) -> dict[str, Any]:
        """What the gateway adds to the 409 answer, so a client can say who changed the file and when."""
        return {
            "current_version": self.current,
            "sent_version": self.sent,
            "changed_by": self.changed_by,
            "changed_at": self.changed_at,
        }


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


def plain(value: Any) -> Any:
    """``value`` as JSON: dates as ISO text, lists and mappings element by element."""
    if isinstance(value, datetime):
        return inputs.aware(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def sent_version(data: Mapping[str, Any]) -> int:
    """The version the client read, from a loaded body (its schema makes it a required positive integer)."""
    version = data.get(VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValidationFailed({VERSION: ["the version of the record you read is required (a positive integer)"]})
    return version


def apply(record: object, data: Mapping[str, Any], fields: Iterable[str]) -> list[Change]:
    """Set on ``record`` each of ``fields`` that ``data`` carries with a different value; the changes made."""
    changes = []
    for name in fields:
        if name not in data:
            continue
        before, after = getattr(record, name), data[name]
        if plain(before) != plain(after):
            changes.append(Change(name, plain(before), plain(after)))
            setattr(record, name, after)
    return changes


def nothing_changed() -> ValidationFailed:
    return ValidationFailed({"_schema": ["the correction changes nothing: every value sent is the one on file"]})


class CorrectionLog:
    """Columns of a service's ``correction`` table (a declarative mixin: each service maps it on its own
    metadata, and its migration creates it with ``create_table_v1``)."""

    __tablename__ = "correction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # What was corrected ('beneficiary', 'employer', 'contact', 'vacancy') and its id.
    record: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(36))
    # The version the correction made (the record's version after it).
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(50))
    # JSON values: personal data for a person's or a contact's fields, so never copied into an event.
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index]:
        # An index object belongs to one table: each service's mapping gets its own.
        return (Index("ix_correction_record", "record", "record_id", "version"),)


def last_change(session: Session, log: type[CorrectionLog], record: str, record_id: str) -> CorrectionLog | None:
    return session.scalars(
        select(log)
        .where(log.record == record, log.record_id == record_id)
        .order_by(log.version.desc(), log.id.desc())
        .limit(1)
    ).first()


def claim(session: Session, record: Any, log: type[CorrectionLog], what: str, sent: int) -> int:
    """Move ``record`` (a mapped row with ``id`` and ``version``) from version ``sent`` to the next; the new
    version. ``StaleVersion`` (nothing written) when the row is at another version: the client read it
    before someone else's correction.
    """
    model = type(record)
    result = session.execute(
        update(model).where(model.id == record.id, model.version == sent).values(version=sent + 1),
        execution_options={"synchronize_session": False},
    )
    if cast(CursorResult[Any], result).rowcount == 1:
        # Said to the loaded row too, so that its next flush does not write the version back.
        set_committed_value(record, VERSION, sent + 1)
        return sent + 1
    current = session.scalar(select(model.version).where(model.id == record.id))
    last = last_change(session, log, what, record.id)
    raise StaleVersion(
        what,
        record.id,
        sent,
        int(current or 0),
        last.by if last else None,
        inputs.aware(last.at).isoformat() if last else None,
    )


def history_rows(
    log: type[CorrectionLog],
    what: str,
    record_id: str,
    version: int,
    actor: Actor,
    at: datetime,
    changes: Iterable[Change],
) -> list[CorrectionLog]:
    """One row of ``log`` per change of one correction, by ``actor`` (their user name and roles)."""
    make = cast(Any, log)  # the service's mapped subclass: the mixin itself has no constructor
    by, role = (actor.sub or "")[:100], ",".join(actor.roles)[:100]
    return [
        make(
            record=what,
            record_id=record_id,
            version=version,
            at=at,
            by=by,
            role=role,
            field=c.field,
            before=c.before,
            after=c.after,
        )
        for c in changes
    ]


def history(session: Session, log: type[CorrectionLog], what: str, record_id: str) -> list[dict[str, Any]]:
    """The corrections of one record, the latest first: one entry per correction with its changes."""
    rows = session.scalars(
        select(log).where(log.record == what, log.record_id == record_id).order_by(log.version.desc(), log.id)
    ).all()
    entries: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = entries.setdefault(
            row.version,
            {
                "version": row.version,
                "at": inputs.aware(row.at).isoformat(),
                "by": row.by,
                "role": row.role,
                "changes": [],
            },
        )
        entry["changes"].append({"field": row.field, "before": row.before, "after": row.after})
    return list(entries.values())


def count(session: Session, log: type[CorrectionLog], what: str, record_id: str) -> int:
    return session.scalar(select(func.count()).where(log.record == what, log.record_id == record_id)) or 0


def create_table_v1(op: Any) -> None:
    """The ``correction`` table as of kit v1 (called by a service's migration, like the outbox's)."""
    import sqlalchemy as sa

    op.create_table(
        "correction",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("record", sa.String(20), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("role", sa.String(100), nullable=False),
        sa.Column("field", sa.String(50), nullable=False),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
    )
    op.create_index("ix_correction_record", "correction", ["record", "record_id", "version"])


def add_version_v1(op: Any, *tables: str) -> None:
    """A ``version`` column (1 for every row already there) on each of ``tables``."""
    import sqlalchemy as sa

    for table in tables:
        op.add_column(table, sa.Column("version", sa.Integer, nullable=False, server_default="1"))
