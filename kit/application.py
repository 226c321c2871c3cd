"""What every service's application layer is made of: a clock, and what a use case returns.

A use case (``<service>/application.py``) takes a unit of work (the SQLAlchemy session of one
transaction), the actor and a clock, applies the rules of ``domain.py`` and returns an ``Outcome``: the
value the entrypoint answers with, and the events the change publishes. The entrypoint (``service.py``)
adds those events to the outbox in the same transaction (``to_outbox``), so the change and its events
commit together; the use case itself never publishes and never imports nameko, so a unit test calls it
with a session on SQLite and a fixed clock (``kit.testing``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from sqlalchemy.orm import Session

from contracts.envelope import Event
from kit import inputs, outbox
from kit.errors import ValidationFailed
from kit.rules import Refused

if TYPE_CHECKING:  # the actor's class lives beside its nameko dependency provider
    from kit.actor import Actor

T = TypeVar("T")

# An event and its recipient: an agency (``forem``, ``actiris``) for agency events, None for the others.
Addressed = tuple[Event, str | None]


class Clock(Protocol):
    """Where a use case reads the time: instants in UTC, and the day for dates the field reads."""

    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """The machine's clock: ``kit.inputs.now()`` (UTC, timezone-aware) and the local date."""

    def now(self) -> datetime:
        return inputs.now()

    def today(self) -> date:
        return date.today()


@dataclass(frozen=True)
class OnDay:
    """A clock standing at noon UTC of ``day``: a use case run on it dates what it writes and publishes then
    (facts brought in from a Mission's earlier files, ``passerelle import-files``)."""

    day: date

    def now(self) -> datetime:
        return datetime.combine(self.day, time(12), tzinfo=UTC)

    def today(self) -> date:
        return self.day


@dataclass
class Outcome(Generic[T]):
    """What a use case did: the value to answer with, and the events to publish with the change."""

    value: T
    events: list[Addressed] = field(default_factory=list)


def internal(events: Iterable[Event]) -> list[Addressed]:
    """Events that are not addressed to anyone in particular (internal and sector audiences)."""
    return [(event, None) for event in events]


class HasStatus(Protocol):
    status: str


def move_and_log(
    session: Session, clock: Clock, actor: Actor, record: HasStatus, log: Any, to_status: str, **facts: Any
) -> None:
    """Move ``record`` to ``to_status`` and add the move to its transition log (a row of the model ``log``):
    from and to, when (``clock``), by whom and in which roles (as many as the log's ``role`` column holds),
    with ``facts``: the record's key and what the log says besides (a reason, a party, a date)."""
    roles = ",".join(actor.roles)[: log.__table__.c.role.type.length]
    session.add(log(from_status=record.status, to_status=to_status, at=clock.now(), by=actor.sub, role=roles, **facts))
    record.status = to_status


def to_outbox(session: Session, outcome: Outcome[T]) -> T:
    """Add ``outcome``'s events to the outbox of ``session``'s transaction; return its value."""
    for event, to in outcome.events:
        outbox.add(session, event, to=to)
    return outcome.value


@contextmanager
def refused_as_field_errors() -> Iterator[None]:
    """A domain rule refusing the change (``kit.rules.Refused``) answers as a field-level error."""
    try:
        yield
    except Refused as refusal:
        raise ValidationFailed({refusal.field: [refusal.message]}) from None
