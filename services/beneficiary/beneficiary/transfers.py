"""Transfer of a person's file to another Mission, with the person's consent: the use cases, free of nameko.

1. The sending Mission's counsellor asks (``request``): the target Mission (in the registry, not this one),
   the person's consent to the transfer (required), their consent for the accompaniment notes (optional) and
   a reason. The file is marked as having a transfer requested, and one event carries the file (identity,
   path, every plan version; the notes only with their consent) to the target Mission.
2. The receiving Mission keeps what it was sent as a pending transfer (``receive``) and lists it with what
   would move (``listing``), each one listed audited.
3. It accepts (``accept``: the file is written here, audited, and the usual intake and plan events tell its
   own services and InterMire) or declines with a reason (``decline``: what it was sent is dropped). Either
   way the answer goes back, without personal data.
4. The sending Mission applies the answer (``receive``): accepted, its file becomes a closed record
   (``transferred``: identity, target groups, path and contract kept; plans, assessments and notes, which
   moved or stay behind with no one to follow them, deleted), its path ends with the exit reason ``moved``;
   declined, the file stays open. Either way the request's outbox row, which held the file, is deleted.

Everything goes through the outbox and the inbox (the service's one transfer handler applies each event
once); no Mission reads another's database. Both Missions derive the person's sector pseudonym from the
national number with the same sector key, so InterMire counts the person once.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from beneficiary import domain, events
from beneficiary.application import addressed, audit, current_episode, end_episode, publisher
from beneficiary.enums import (
    ACTIVE,
    KIND_TRANSFER_IN,
    KIND_TRANSFER_OUT,
    RECEIVED,
    SENT,
    TRANSFER_ACCEPTED,
    TRANSFER_DECLINED,
    TRANSFER_REQUESTED,
    TRANSFERRED,
)
from beneficiary.models import (
    Assessment,
    Beneficiary,
    Note,
    PlanVersion,
    StageTransition,
    TargetGroup,
    Transfer,
)
from beneficiary.transfer_records import answer
from contracts import transfer as contract
from contracts.payloads import build
from kit import answers, inputs
from kit.actor import Actor
from kit.application import Addressed, Clock, Outcome, refused_as_field_errors
from kit.errors import Conflict, NotFound, ValidationFailed
from kit.pseudonym import key_id, pseudonym
from kit.storage import outbox as outbox_table

log = logging.getLogger(__name__)
Data = dict[str, Any]
EXIT_REASON = "moved"  # how the sending Mission's indicators see the path end (enums.EXIT_REASONS)


def _audit(session: Session, actor: Actor, clock: Clock, action: str, subject: str, purpose: str = "transfer") -> None:
    audit(session, actor, clock, action, subject, purpose)


def _role(actor: Actor) -> str:
    return ",".join(actor.roles)[:30]


# -- 1. the sending Mission asks ------------------------------------------------
def request(
    session: Session,
    actor: Actor,
    clock: Clock,
    source: str,
    site: str,
    missions: tuple[str, ...],
    who: Beneficiary,
    data: Data,
) -> Outcome[Data]:
    """Ask ``data['to_mission']`` to take the file over; the person's consent is required (the schema)."""
    with refused_as_field_errors():
        domain.check_transfer_target(data["to_mission"], site, missions)
        domain.check_transferable(who.status)
    if who.niss is None:
        # The receiving Mission keys the file by its number (and InterMire the person by its pseudonym): a
        # provisional identity is completed first.
        raise ValidationFailed({"niss": ["complete the person's identity before handing the file over"]})
    pending = session.scalar(
        select(Transfer.id).where(
            Transfer.beneficiary_id == who.id, Transfer.direction == SENT, Transfer.status == TRANSFER_REQUESTED
        )
    )
    if pending:
        raise Conflict("a transfer of this file is already awaiting its answer", pending)
    payload = contract.TransferRequestedV1(
        transfer_id=str(uuid.uuid4()),
        from_mission=site,
        to_mission=data["to_mission"],
        requested_on=clock.today(),
        requested_by=actor.sub,
        reason=data["reason"],
        consent=True,
        notes_consent=data["notes_consent"],
        person=_identity(session, who),
        path=_path(session, who),
        plans=_plans(session, who),
        notes=_notes(session, who) if data["notes_consent"] else [],
    )
    event = build(payload, source=source, subject=payload.transfer_id)
    row = Transfer(
        id=payload.transfer_id,
        direction=SENT,
        mission=payload.to_mission,
        beneficiary_id=who.id,
        status=TRANSFER_REQUESTED,
        reason=payload.reason,
        consent=True,
        notes_consent=payload.notes_consent,
        requested_by=actor.sub,
        requested_on=payload.requested_on,
        moves=moves(payload),
        event_id=event.id,
    )
    session.add(row)
    log.info("transfer %s of beneficiary %s to %s requested", row.id, who.id, row.mission)
    return Outcome(sent_answer(row), [(event, payload.to_mission)])


def _identity(session: Session, who: Beneficiary) -> contract.Identity:
    groups = session.scalars(select(TargetGroup).where(TargetGroup.beneficiary_id == who.id).order_by(TargetGroup.id))
    return contract.Identity(
        niss=who.niss,
        niss_kind=who.niss_kind,
        first_name=who.first_name,
        last_name=who.last_name,
        birth_date=who.birth_date,
        gender=who.gender,
        municipality=who.municipality,
        phone=who.phone,
        email=who.email,
        referrer_type=who.referrer_type,
        referrer_organisation=who.referrer_organisation,
        target_groups=[
            contract.TargetGroup(group=g.group, evidence=g.evidence, since=g.since, until=g.until) for g in groups
        ],
    )


def _path(session: Session, who: Beneficiary) -> contract.Path:
    steps = session.scalars(
        select(StageTransition).where(StageTransition.beneficiary_id == who.id).order_by(StageTransition.id)
    )
    return contract.Path(
        registered_on=who.registered_on,
        stage=who.stage,
        status=who.status,
        steps=[
            contract.Step(
                from_stage=s.from_stage,
                to_stage=s.to_stage,
                kind=s.kind,
                reason=s.reason,
                why=s.why,
                at=s.at,
                by=s.by,
                role=s.role,
            )
            for s in steps
        ],
    )


def _plans(session: Session, who: Beneficiary) -> list[contract.Plan]:
    versions = session.scalars(
        select(PlanVersion).where(PlanVersion.beneficiary_id == who.id).order_by(PlanVersion.version)
    )
    return [
        contract.Plan(
            version=p.version,
            target_occupations=list(p.target_occupations),
            missing_competences=list(p.missing_competences),
            actions=[
                contract.Action(
                    kind=a["kind"],
                    description=a["description"],
                    due=date.fromisoformat(a["due"]) if a.get("due") else None,
                )
                for a in p.actions
            ],
            contract_wishes=list(p.contract_wishes),
            hours_wish=p.hours_wish,
            mobility_km=p.mobility_km,
            available_from=p.available_from,
            agreed_by=p.agreed_by,
            agreed_at=p.agreed_at,
            agreed_with_person=p.agreed_with_person,
        )
        for p in versions
    ]


def _notes(session: Session, who: Beneficiary) -> list[contract.Note]:
    found = session.scalars(select(Note).where(Note.beneficiary_id == who.id).order_by(Note.at, Note.id))
    return [contract.Note(kind=n.kind, text=n.text, author=n.author, at=n.at) for n in found]


def moves(sent: contract.TransferRequestedV1) -> Data:
    """What a transfer moves, as counts: what the receiving Mission decides on, and what both keep on record."""
    return {
        "identity": 1,
        "target_groups": len(sent.person.target_groups),
        "path_steps": len(sent.path.steps),
        "plans": len(sent.plans),
        "notes": len(sent.notes),
    }


# -- 2. and 4. what arrives: a request for this Mission, or the answer to one of its requests ------------
def receive(
    session: Session, clock: Clock, source: str, site: str, sender: str, data: contract.Transfer
) -> Outcome[None]:
    """Apply one transfer event from ``sender`` (the Mission its CloudEvents source names)."""
    if data.to_mission != site:
        log.warning("transfer %s for %s delivered to %s: ignored", data.transfer_id, data.to_mission, site)
        return Outcome(None)
    if isinstance(data, contract.TransferRequestedV1):
        if data.from_mission != sender:
            log.warning(
                "transfer %s claims to come from %s, sent by %s: ignored", data.transfer_id, data.from_mission, sender
            )
            return Outcome(None)
        if session.get(Transfer, data.transfer_id) is not None:
            return Outcome(None)  # the same request published again under another event id
        session.add(
            Transfer(
                id=data.transfer_id,
                direction=RECEIVED,
                mission=sender,
                status=TRANSFER_REQUESTED,
                reason=data.reason,
                consent=data.consent,
                notes_consent=data.notes_consent,
                requested_by=data.requested_by,
                requested_on=data.requested_on,
                moves=moves(data),
                file=msgspec.to_builtins(data),
            )
        )
        log.info("transfer %s received from %s", data.transfer_id, sender)
        return Outcome(None)
    assert isinstance(data, contract.TransferAnsweredV1)
    row = session.get(Transfer, data.transfer_id)
    if row is None or row.direction != SENT or row.mission != sender or data.from_mission != sender:
        log.warning("answer to transfer %s from %s matches no request of ours: ignored", data.transfer_id, sender)
        return Outcome(None)
    if row.status != TRANSFER_REQUESTED:
        return Outcome(None)  # answered already
    row.status = TRANSFER_ACCEPTED if data.accepted else TRANSFER_DECLINED
    row.answered_on, row.answer_reason, row.answered_by = data.answered_on, data.reason, sender
    # The request's outbox row held the whole file: it served its purpose, and goes.
    if row.event_id:
        session.execute(delete(outbox_table).where(outbox_table.c.event_id == row.event_id))
    if not data.accepted:
        log.info("transfer %s declined by %s", row.id, sender)
        return Outcome(None)
    return Outcome(None, _close_as_transferred(session, clock, source, row))


def _close_as_transferred(session: Session, clock: Clock, source: str, row: Transfer) -> list[Addressed]:
    who = session.get(Beneficiary, row.beneficiary_id)
    if who is None:
        return []  # erased while the transfer was pending: nothing left to close
    session.add(
        StageTransition(
            beneficiary_id=who.id,
            from_stage=who.stage,
            to_stage=who.stage,
            kind=KIND_TRANSFER_OUT,
            reason=EXIT_REASON,
            why=f"transferred to {row.mission}",
            at=clock.now(),
            by=f"mission:{row.mission}",
            role="transfer",
        )
    )
    was_open = who.status == ACTIVE
    if was_open:
        end_episode(session, who, clock.today(), TRANSFERRED, EXIT_REASON)
    who.status = TRANSFERRED
    # What moved (plans, notes) or has no one left to use it (assessments) is not kept twice.
    for model in (Note, Assessment, PlanVersion):
        session.execute(delete(model).where(model.beneficiary_id == who.id))
    who.plan_review_due = None
    log.info("beneficiary %s transferred to %s: file closed", who.id, row.mission)
    if not was_open:
        return []  # a dropped-out path's end was counted already
    return addressed(events.exited(publisher(session, source, who), EXIT_REASON, clock.today()))


# -- 2. the receiving Mission lists what it was sent ---------------------------------
def listing(
    session: Session,
    actor: Actor,
    clock: Clock,
    direction: str,
    status: str | None,
    page: int,
    page_size: int,
    purpose: str,
) -> Data:
    """One page of the transfers received (or sent), the latest first, each with what moves; audited."""
    conditions = [Transfer.direction == direction]
    if status:
        conditions.append(Transfer.status == status)
    offset, limit = inputs.page_window(page, page_size)
    total = session.scalar(select(func.count()).select_from(Transfer).where(*conditions)) or 0
    rows = session.scalars(
        select(Transfer)
        .where(*conditions)
        .order_by(Transfer.requested_on.desc(), Transfer.id)
        .offset(offset)
        .limit(limit)
    ).all()
    for row in rows:
        _audit(session, actor, clock, f"beneficiary.transfer.list_{direction}", row.id, purpose)
    items = [received_answer(r) if direction == RECEIVED else sent_answer(r) for r in rows]
    return answers.page(items, page, page_size, total)


def _common(row: Transfer) -> Data:
    return {
        "id": row.id,
        "status": row.status,
        "reason": row.reason,
        "consent": row.consent,
        "notes_consent": row.notes_consent,
        "requested_by": row.requested_by,
        "requested_on": row.requested_on.isoformat(),
        "moves": row.moves,
        "answered_on": row.answered_on.isoformat() if row.answered_on else None,
        "answer_reason": row.answer_reason,
        "beneficiary_id": row.beneficiary_id,
    }


def sent_answer(row: Transfer) -> Data:
    return _common(row) | {"to_mission": row.mission}


def received_answer(row: Transfer) -> Data:
    """A received transfer; while it awaits the answer, who the person is, so that the Mission can decide."""
    person = None
    if row.file:
        p = row.file["person"]
        person = {k: p[k] for k in ("first_name", "last_name", "birth_date", "municipality")} | {
            "stage": row.file["path"]["stage"]
        }
    return _common(row) | {"from_mission": row.mission, "person": person}


# -- 3. the receiving Mission answers ----------------------------------------------
def _pending(session: Session, transfer_id: object) -> Transfer:
    row = session.get(Transfer, transfer_id) if isinstance(transfer_id, str) else None
    if row is None or row.direction != RECEIVED:
        raise NotFound("transfer", str(transfer_id)[:64])
    if row.status != TRANSFER_REQUESTED or row.file is None:
        raise Conflict(f"the transfer was {row.status} already", row.id)
    return row


def accept(session: Session, actor: Actor, clock: Clock, source: str, site: str, transfer_id: object) -> Outcome[Data]:
    """Take the file over: written here from what was sent, audited, announced to this Mission's services and
    InterMire as an intake (and its current plan), and the answer sent back."""
    row = _pending(session, transfer_id)
    sent = msgspec.convert(row.file, contract.TransferRequestedV1)
    p = sent.person
    existing = session.scalar(select(Beneficiary.id).where(Beneficiary.niss == p.niss))
    if existing:
        raise Conflict(
            "a file with this national register number exists in this Mission: decline the transfer", existing
        )
    today = clock.today()
    who = Beneficiary(
        id=str(uuid.uuid4()),
        niss=p.niss,
        niss_kind=p.niss_kind,
        pseudonym=pseudonym(p.niss),
        pseudonym_key=key_id(),
        first_name=p.first_name,
        last_name=p.last_name,
        birth_date=p.birth_date,
        gender=p.gender,
        municipality=p.municipality,
        registered_on=today,
        created_at=clock.now(),
        phone=p.phone,
        email=p.email,
        referrer_type=p.referrer_type,
        referrer_organisation=p.referrer_organisation,
        stage=sent.path.stage,
        status=ACTIVE,
        counsellor=actor.sub,
    )
    session.add(who)
    session.flush()
    current_episode(session, who)  # the file's first episode at this Mission, from the day it was accepted
    for g in p.target_groups:
        session.add(
            TargetGroup(beneficiary_id=who.id, group=g.group, evidence=g.evidence, since=g.since, until=g.until)
        )
    for s in sent.path.steps:
        session.add(
            StageTransition(
                beneficiary_id=who.id,
                from_stage=s.from_stage,
                to_stage=s.to_stage,
                kind=s.kind,
                reason=s.reason,
                why=s.why,
                at=s.at,
                by=s.by,
                role=s.role,
            )
        )
    session.add(
        StageTransition(
            beneficiary_id=who.id,
            from_stage=sent.path.stage,
            to_stage=sent.path.stage,
            kind=KIND_TRANSFER_IN,
            why=f"transferred from {row.mission}",
            at=clock.now(),
            by=actor.sub,
            role=_role(actor),
        )
    )
    plans = []
    for plan in sent.plans:
        version = PlanVersion(
            beneficiary_id=who.id,
            version=plan.version,
            target_occupations=plan.target_occupations,
            missing_competences=plan.missing_competences,
            actions=[
                {"kind": a.kind, "description": a.description, "due": a.due.isoformat() if a.due else None}
                for a in plan.actions
            ],
            contract_wishes=plan.contract_wishes,
            hours_wish=plan.hours_wish,
            mobility_km=plan.mobility_km,
            available_from=plan.available_from,
            agreed_by=plan.agreed_by,
            agreed_at=plan.agreed_at,
            agreed_with_person=plan.agreed_with_person,
        )
        session.add(version)
        plans.append(version)
    if sent.notes_consent:
        for n in sent.notes:
            session.add(
                Note(id=str(uuid.uuid4()), beneficiary_id=who.id, kind=n.kind, text=n.text, author=n.author, at=n.at)
            )
    session.flush()
    row.status, row.beneficiary_id, row.file = TRANSFER_ACCEPTED, who.id, None
    row.answered_by, row.answered_on = actor.sub, today
    _audit(session, actor, clock, "beneficiary.transfer.accept", who.id)
    pub = publisher(session, source, who)
    published = addressed(events.registered(pub))
    if plans:
        published += addressed(events.plan_agreed(pub, plans[-1]))
    published.append(answer(row, site, source, True, today, None))
    log.info("transfer %s from %s accepted: beneficiary %s", row.id, row.mission, who.id)
    return Outcome(received_answer(row), published)


def decline(
    session: Session, actor: Actor, clock: Clock, source: str, site: str, transfer_id: object, data: Data
) -> Outcome[Data]:
    """Decline with a reason: what was sent is dropped (the row stays, as the transfer's record)."""
    row = _pending(session, transfer_id)
    if not data.get("reason"):
        raise ValidationFailed({"reason": ["say why the transfer is declined"]})
    row.status, row.file = TRANSFER_DECLINED, None
    row.answered_by, row.answered_on, row.answer_reason = actor.sub, clock.today(), data["reason"]
    _audit(session, actor, clock, "beneficiary.transfer.decline", row.id)
    log.info("transfer %s from %s declined", row.id, row.mission)
    return Outcome(received_answer(row), [answer(row, site, source, False, row.answered_on, data["reason"])])


def latest_sent(session: Session, beneficiary_id: str) -> Data | None:
    """The file's latest transfer request and where it stands (shown on the file)."""
    row = session.scalars(
        select(Transfer)
        .where(Transfer.beneficiary_id == beneficiary_id, Transfer.direction == SENT)
        .order_by(Transfer.requested_on.desc(), Transfer.id.desc())
        .limit(1)
    ).first()
    return sent_answer(row) if row else None
