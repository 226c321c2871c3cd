"""Orientations out: from a person's plan, the Mission orients them to a partner's service; the use cases.

1. **Orient** (``orient``): the partner's service is named by its id in the Mission's partner directory
   (the employer service). It is checked there before the transaction opens (``partner_service``), through
   ``kit.references``: a service that does not exist in this Mission, or that its partner withdrew, is a 422 on
   ``service_id`` and nothing is written. The directory's answer is the partner's type, kept on the orientation
   for the indicators (a later change of the directory does not rewrite a past orientation). The purpose,
   the appointment's date, what the person agrees to share with the partner and their consent to it are
   kept (``beneficiary.orientation_rules``); the file must be open and active.
2. **Record the outcome** (``record_outcome``): attended, done, not taken up (with a reason) or cancelled,
   by the state machine of ``orientation_rules``, on the version of the orientation the caller read: two
   counsellors recording at once, the second is told (409) who recorded what and when.
3. **Read** them with the file (``file_answer``: the file's read lists them, beside the plan's version) and
   on their own (``listing``), each read audited as a read of the file.

Each fact is an internal event (``orientation_made``, ``orientation_outcome``: ids, dates and codes, never
the purpose, the reason or what was shared) that the Mission's reporting counts by partner type and outcome.
Nothing goes to InterMire or to an agency.

For data protection, an orientation is part of the file: the person's copy lists them (``beneficiary.access``)
and erasure deletes them (``application.erase``); the reporting service keeps their counts as it keeps every
fact of an erased person, linked to no one.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from beneficiary import orientation_rules as rules
from beneficiary.application import audit, person
from beneficiary.enums import ACTIVE
from beneficiary.models import Beneficiary, Orientation, PlanVersion
from beneficiary.orientation_schemas import OrientationOutSchema
from beneficiary.schemas import file_answer as plain_file_answer
from contracts import internal
from contracts.payloads import build
from kit import inputs
from kit.actor import Actor
from kit.application import Clock, Outcome, refused_as_field_errors
from kit.application import internal as undirected
from kit.corrections import StaleVersion
from kit.errors import NotFound, ValidationFailed
from kit.references import Ref, check, rpc_lookup
from kit.rules import Refused

Data = dict[str, Any]
PARTNER_SERVICE = "partner_service"
READ = "beneficiary.orientations"  # the audit's action for a list of a person's orientations


# -- 0. what the partner directory says (asked before the transaction opens) ---------------------
def partner_type_of(service: Any, beneficiary_id: object, payload: Data) -> str:
    """The type of the partner offering ``payload['service_id']``, from the employer service's directory; 422
    on ``service_id`` when this Mission's directory has no such service still offered."""
    ref = Ref("service_id", PARTNER_SERVICE, payload["service_id"])
    found = check([ref], rpc_lookup({"employer": service.employer}))
    partner_type = found[PARTNER_SERVICE].get(payload["service_id"])
    if not partner_type:
        raise ValidationFailed({"service_id": ["the partner directory gives no type for this service's partner"]})
    return str(partner_type)[:30]


# -- 1. orient ------------------------------------------------------------------------------------
def orient(
    session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, data: Data, partner_type: str
) -> Outcome[Orientation]:
    today = clock.today()
    with refused_as_field_errors():
        if who.status != ACTIVE:
            raise Refused("status", f"a file whose status is '{who.status}' is not accompanied: reopen it first")
        rules.check_sharing(data["shared"], data["consent"])
        rules.check_appointment(data["appointment_on"], today)
    plan = session.scalar(
        select(PlanVersion.version)
        .where(PlanVersion.beneficiary_id == who.id, PlanVersion.episode == who.episode)
        .order_by(PlanVersion.version.desc())
        .limit(1)
    )
    row = Orientation(
        id=str(uuid.uuid4()),
        beneficiary_id=who.id,
        episode=who.episode,
        plan_version=plan,
        service_id=data["service_id"],
        partner_type=partner_type,
        purpose=data["purpose"],
        appointment_on=data["appointment_on"],
        shared=[s for s in rules.SHARED if s in data["shared"]],
        consent=bool(data["consent"]),
        status=rules.PLANNED,
        made_by=(actor.sub or "")[:100],
        made_on=today,
        version=1,
    )
    session.add(row)
    session.flush()
    made = internal.BeneficiaryOrientationMadeV1(
        beneficiary_id=who.id,
        orientation_id=row.id,
        service_id=row.service_id,
        partner_type=row.partner_type,
        made_on=row.made_on,
        appointment_on=row.appointment_on,
        shared=list(row.shared),
    )
    return Outcome(row, undirected([build(made, source=source, subject=who.id)]))


# -- 2. the outcome -------------------------------------------------------------------------------
def _orientation(session: Session, who: Beneficiary, orientation_id: object) -> Orientation:
    row = session.get(Orientation, orientation_id) if isinstance(orientation_id, str) else None
    if row is None or row.beneficiary_id != who.id:
        raise NotFound("orientation", str(orientation_id)[:64])
    return row


def _claim(session: Session, row: Orientation, sent: int) -> None:
    """Move the orientation from the version read to the next (one conditional UPDATE, as ``kit.corrections``
    does); ``StaleVersion`` naming who recorded the outcome since, and when."""
    moved = session.execute(
        update(Orientation)
        .where(Orientation.id == row.id, Orientation.version == sent)
        .values(version=sent + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        session.refresh(row)
        at = inputs.aware(row.outcome_at).isoformat() if row.outcome_at else None
        raise StaleVersion("orientation", row.id, sent, row.version, row.outcome_by, at)
    session.refresh(row)


def record_outcome(
    session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, orientation_id: object, data: Data
) -> Outcome[Orientation]:
    row = _orientation(session, who, orientation_id)
    today = clock.today()
    on = data.get("on") or today
    _claim(session, row, data["version"])
    with refused_as_field_errors():
        rules.check_outcome(row.status, data["outcome"], data.get("reason"))
        rules.check_outcome_date(on, row.made_on, today)
    row.status, row.outcome_on = data["outcome"], on
    row.outcome_reason = (data.get("reason") or "").strip() or None
    row.outcome_by, row.outcome_at = (actor.sub or "")[:100], clock.now()
    session.flush()
    recorded = internal.BeneficiaryOrientationOutcomeV1(
        beneficiary_id=who.id,
        orientation_id=row.id,
        service_id=row.service_id,
        partner_type=row.partner_type,
        outcome=row.status,
        on=on,
    )
    return Outcome(row, undirected([build(recorded, source=source, subject=who.id)]))


# -- 3. reading -----------------------------------------------------------------------------------
def of_person(session: Session, beneficiary_id: str) -> list[Orientation]:
    """The person's orientations, the latest appointment first."""
    return list(
        session.scalars(
            select(Orientation)
            .where(Orientation.beneficiary_id == beneficiary_id)
            .order_by(Orientation.appointment_on.desc(), Orientation.made_on.desc(), Orientation.id)
        )
    )


def listing(session: Session, actor: Actor, clock: Clock, beneficiary_id: object, purpose: str) -> list[Orientation]:
    who = person(session, beneficiary_id)
    audit(session, actor, clock, READ, who.id, purpose)
    return of_person(session, who.id)


def file_answer(session: Session, found: Any) -> Data:
    """The file's read (``schemas.file_answer``) with the person's orientations and their outcome (the read
    itself is already audited)."""
    answer = plain_file_answer(session, found)
    answer["orientations"] = OrientationOutSchema(many=True).dump(of_person(session, found.person.id))
    return answer
