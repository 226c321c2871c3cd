"""What an agency tells the Mission about a person: accepted onto the file as an agency fact, or refused with a
reason the agency reads back. Free of nameko; ``beneficiary.inbound`` wires it to the broker.

The contract is ``contracts.agency.inbound``. By the time an event reaches ``receive``, the broker has said which
agency sent it (``kit.forwarded.admit_agency_event``: the shovel's forward header names the agency's queue for this
Mission), and the inbox has said it was not applied before. Then, in this order, an event is refused when:

1. its type (or version) is not an inbound type of the contract, or its ``dataschema`` is not that type's
   (``unknown_type``);
2. its data is outside the type's schema (``schema_violation``);
3. it names another Mission in ``data.mission`` (``wrong_mission``: the routing key brought it here);
4. no person of this Mission is known to that agency by ``data.agency_reference``: a disclosure on record for
   that agency, not withdrawn, holding that reference (``unknown_person``). A withdrawn disclosure is one the
   agency was told to forget; the Mission takes nothing more from it about the person.

An accepted event becomes one ``AgencyFact`` on the person's file (source agency, type, the day it happened, the
fields); nothing else changes (no stage moves, no outcome is recorded: that is the counsellor's, or a later
verification's, call). A refused one becomes an ``AgencyRefusal`` and one feedback event to the agency, in the same
transaction as the inbox row; the handler then dead-letters the message with the same reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from beneficiary.application import audit, person
from beneficiary.models import AgencyFact, AgencyRefusal, Disclosure
from contracts.agency import inbound as contract
from contracts.envelope import Event, dataschema
from contracts.payloads import build
from kit.actor import Actor
from kit.application import Clock, Outcome

ADDRESSING = ("mission", "agency_reference")


@dataclass(frozen=True)
class Refusal:
    code: str
    reason: str


def check(session: Session, mission: str, agency: str, event: Event) -> tuple[contract.Inbound, str] | Refusal:
    """The event's data and the person it is about (their id here), or why it is refused."""
    cls = contract.INBOUND.get(event.type)
    if cls is None:
        known = ", ".join(sorted(contract.INBOUND))
        return Refusal("unknown_type", f"{event.type} is not an inbound type of the contract (known: {known})")
    if event.dataschema != dataschema("inbound", event.type):
        return Refusal("unknown_type", f"dataschema {event.dataschema!r} is not {dataschema('inbound', event.type)!r}")
    try:
        data = msgspec.convert(event.data, cls)
    except msgspec.ValidationError as exc:
        return Refusal("schema_violation", f"data outside the schema of {event.type}: {exc}")
    if data.mission != mission:
        return Refusal("wrong_mission", f"data.mission is {data.mission!r}, but the event was routed to {mission!r}")
    found = session.scalars(
        select(Disclosure.beneficiary_id).where(
            Disclosure.agency == agency,
            Disclosure.agency_reference == data.agency_reference,
            Disclosure.withdrawn_on.is_(None),
        )
    ).first()
    if found is None:
        return Refusal(
            "unknown_person",
            f"no person of {mission} is known to {agency} by the reference {data.agency_reference!r}",
        )
    return data, found


def occurred_on(data: contract.Inbound) -> date:
    """The day the fact happened: the first date field the type names (``on``, ``started_on``, ``ended_on``...),
    the check's day for a six-month answer."""
    if isinstance(data, contract.SixMonthVerificationAnswered):
        return data.checked_on
    if isinstance(data, contract.EmploymentEnded):
        return data.ended_on
    for name in data.__struct_fields__:
        value = getattr(data, name)
        if isinstance(value, date):
            return value
    raise ValueError(f"{data.TYPE} names no date")  # every inbound type has one (contract tests)


def receive(
    session: Session, clock: Clock, source: str, mission: str, agency: str, event: Event
) -> Outcome[Refusal | None]:
    """Record ``agency``'s event on the person's file, or refuse it and tell the agency why."""
    checked = check(session, mission, agency, event)
    if isinstance(checked, Refusal):
        return refuse(session, clock, source, mission, agency, event, checked)
    data, beneficiary_id = checked
    facts = {k: v for k, v in msgspec.to_builtins(data).items() if k not in ADDRESSING}
    session.add(
        AgencyFact(
            id=str(uuid.uuid4()),
            beneficiary_id=beneficiary_id,
            agency=agency,
            event_id=event.id,
            event_type=event.type,
            occurred_on=occurred_on(data),
            received_at=clock.now(),
            facts=facts,
        )
    )
    return Outcome(None)


def refuse(
    session: Session, clock: Clock, source: str, mission: str, agency: str, event: Event, refusal: Refusal
) -> Outcome[Refusal | None]:
    """The refusal on record, and the feedback event to the agency (its feedback queue on /agencies)."""
    now = clock.now()
    session.add(
        AgencyRefusal(
            event_id=event.id,
            agency=agency,
            event_type=event.type[:200],
            code=refusal.code,
            reason=refusal.reason[:500],
            refused_at=now,
        )
    )
    feedback = contract.AgencyEventRefused(
        event_id=event.id,
        event_type=event.type[:200],
        mission=mission,
        code=refusal.code,  # type: ignore[arg-type]  # one of contract.REFUSAL_CODES, checked when built
        reason=refusal.reason[:500],
        refused_at=now,
    )
    return Outcome(refusal, [(build(feedback, source=source, subject=event.id), agency)])


def refusal_of(session: Session, event_id: str) -> Refusal | None:
    """The refusal recorded for an event, if it was refused (a redelivery is dead-lettered again)."""
    row = session.get(AgencyRefusal, event_id)
    return Refusal(row.code, row.reason) if row else None


def listing(session: Session, actor: Actor, clock: Clock, beneficiary_id: object, purpose: str) -> list[dict[str, Any]]:
    """What the agencies told the Mission about the person, the latest first; the read audited."""
    who = person(session, beneficiary_id)
    audit(session, actor, clock, "beneficiary.agency_facts", who.id, purpose)
    rows = session.scalars(
        select(AgencyFact)
        .where(AgencyFact.beneficiary_id == who.id)
        .order_by(AgencyFact.occurred_on.desc(), AgencyFact.received_at.desc())
    ).all()
    return [
        {
            "agency": r.agency,
            "type": r.event_type,
            "occurred_on": r.occurred_on,
            "received_at": r.received_at,
            "event_id": r.event_id,
            "facts": r.facts,
        }
        for r in rows
    ]
