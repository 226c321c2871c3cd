"""Bringing a Mission's existing employers in: one employer and its contacts, as the live use cases write them.

``passerelle import-files`` (``runtime/importing``) hands each employer here with its payloads already
loaded through the service's schemas (``employer.schemas``). ``bring_in`` registers it through
``employer.application.register`` with a clock standing at the day the Mission started working with it (so
``registered_month`` in its events is that month), sets the account manager the file names and adds its
contacts, in the caller's transaction: an employer is written whole or not at all. Contacts already on
file (same name) are not added twice, so a second import of the same rows writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.be import vat

from employer import application as app
from employer.models import Contact, Employer
from kit.actor import IMPORT_SUB, Actor
from kit.application import OnDay, Outcome

Data = dict[str, Any]


def import_actor(mission: str) -> Actor:
    """The named system actor imported employers are registered under."""
    return Actor(IMPORT_SUB, mission, ("employer_relations",))


@dataclass
class Record:
    """One employer as the import read it: its intake (EmployerIntakeSchema) and contacts (ContactSchema)."""

    intake: Data
    since: date
    account_manager: str | None = None
    contacts: list[Data] = field(default_factory=list)


def number(enterprise_number: str) -> str:
    """The ten digits the service stores for an enterprise number (``0123.456.789``, ``BE0123456789``)."""
    return str(vat.compact(enterprise_number))[-10:]


def on_file(session: Session, enterprise_number: str) -> Employer | None:
    found: Employer | None = session.scalar(
        select(Employer).where(Employer.enterprise_number == number(enterprise_number))
    )
    return found


def new_contacts(session: Session, employer_id: str, contacts: list[Data]) -> list[Data]:
    """The contacts of ``contacts`` the employer does not have yet (by name, case-insensitively)."""
    known = {
        name.casefold() for name in session.scalars(select(Contact.name).where(Contact.employer_id == employer_id))
    }
    return [c for c in contacts if c["name"].casefold() not in known]


def bring_in(session: Session, actor: Actor, source: str, record: Record) -> Outcome[Employer]:
    """Register the employer (events dated ``record.since``) with its account manager and contacts.

    Raises ``ValidationFailed`` from the rules, ``Conflict`` when the Mission already has the number.
    """
    outcome = app.register(session, actor, OnDay(record.since), source, record.intake)
    new = outcome.value
    if record.account_manager:
        new.account_manager = record.account_manager
    for contact in record.contacts:
        app.add_contact(session, new.id, contact)
    return outcome


def add_contacts(session: Session, known: Employer, contacts: list[Data]) -> int:
    """Contacts for an employer already on file (a later row, or a later import); how many were new."""
    fresh = new_contacts(session, known.id, contacts)
    for contact in fresh:
        app.add_contact(session, known.id, contact)
    return len(fresh)
