"""Referrals in: a local partner refers a person to the Mission, which accepts or declines; the use cases and
their rules, free of nameko.

1. A partner (the ``partner`` role, its token scoped to one organisation of the Mission's partner directory)
   submits a referral (``submit``): who (names, birth date, contact, municipality; the national number if it
   knows it), why (a reason, the target groups it knows of) and the person's consent to being referred
   (required). The organisation is checked against the directory (``employer.known_partners``) before
   anything is written, and its type kept. The same person referred again by the same organisation while
   the first referral awaits its answer, or after it was declined with nothing new (the same reason and
   target groups), is a conflict (409).
2. The counsellors and the direction see the referrals received (``listing``, ``one``), each audited.
3. They accept one (``accept``): the referral becomes an intake through the intake use case itself
   (``application.register``: every intake rule applies, a number already on file included), pre-filled with
   what the partner gave and completed by the counsellor; the file's first episode records the referral and
   the partner as its referrer. Or they decline it with a reason the partner reads (``decline``).
4. The partner lists the referrals its organisation made, each with its status: received, accepted or
   declined (with the reason), and only if the person agreed that the partner be told
   (``inform_referrer``, recorded by the counsellor on the file) "in accompaniment" or "ended", from the
   file's status. Nothing else of the person, never a note or a plan; another organisation's referral does
   not exist for it (404).

The events (received, accepted, declined) carry ids, the organisation and its type only.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from beneficiary import application as app
from beneficiary.enums import ACTIVE, TARGET_GROUPS
from beneficiary.models import Beneficiary, Referral
from beneficiary.schemas import IntakeSchema
from contracts import internal
from contracts.payloads import build
from kit import answers, inputs
from kit.actor import Actor
from kit.application import Clock, Outcome
from kit.application import internal as undirected
from kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kit.search import search_key

log = logging.getLogger(__name__)
Data = dict[str, Any]

RECEIVED, ACCEPTED, DECLINED = "received", "accepted", "declined"
# What a partner may read of a referral accepted, when the person agreed that it be told.
IN_ACCOMPANIMENT, ENDED = "in_accompaniment", "ended"

# The intake's referrer type (enums.REFERRER_TYPES) for each type of organisation of the partner directory
# (employer.partners.PARTNER_TYPES); the others are "other", the organisation itself kept beside it.
REFERRER_OF_PARTNER = {"cpas": "cpas", "ale": "ale", "oisp": "training_operator"}
PREFILLED_EVIDENCE = "indiqué par le partenaire à l'orientation"


# -- the rules ------------------------------------------------------------------
def referrer_type(partner_type: str | None) -> str:
    return REFERRER_OF_PARTNER.get(partner_type or "", "other")


def status_for_partner(status: str, inform_referrer: bool, file_status: str | None) -> str:
    """What the referring partner reads: the referral's own status, and past "accepted" only with the person's
    agreement: "in accompaniment" while their file is open, "ended" once it is closed or gone."""
    if status != ACCEPTED or not inform_referrer:
        return status
    return IN_ACCOMPANIMENT if file_status == ACTIVE else ENDED


def nothing_new(earlier: Referral, data: Data) -> bool:
    """A re-submission brings nothing new when its reason (spacing and case aside) and target groups are those
    of the earlier referral."""
    return _words(earlier.reason) == _words(data["reason"]) and sorted(earlier.target_groups or []) == sorted(
        set(data["target_groups"])
    )


def _words(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def intake_from(referral: Referral, completed: Data) -> Data:
    """The intake as the referral pre-fills it, the counsellor's ``completed`` fields over it; the referrer is
    the partner's organisation, whatever was sent."""
    prefilled: Data = {
        "first_name": referral.first_name,
        "last_name": referral.last_name,
        "birth_date": referral.birth_date.isoformat(),
        "municipality": referral.municipality,
        "phone": referral.phone,
        "email": referral.email,
        "target_groups": [
            {"group": group, "evidence": PREFILLED_EVIDENCE, "since": referral.submitted_at.date().isoformat()}
            for group in referral.target_groups or []
            if group in TARGET_GROUPS
        ],
    }
    if referral.niss:
        prefilled["niss"] = referral.niss
    else:
        prefilled["identity"] = "provisional"
    intake = {
        **prefilled,
        **{k: v for k, v in completed.items() if k not in ("referrer_type", "referrer_organisation")},
    }
    if intake.get("niss") and "identity" not in completed:
        intake.pop("identity", None)
    intake["referrer_type"] = referrer_type(referral.partner_type)
    intake["referrer_organisation"] = referral.organisation
    return {k: v for k, v in intake.items() if v is not None}


# -- 1. a partner submits ----------------------------------------------------------
def partner_type_of(actor: Actor, known: Mapping[str, str | None]) -> str | None:
    """The type of the caller's organisation in the Mission's partner directory; Forbidden when the directory
    does not list it (a token for an organisation this Mission does not work with)."""
    if actor.organisation not in known:
        raise Forbidden("your organisation is not in this Mission's partner directory")
    return known[actor.organisation]


def submit(
    session: Session, actor: Actor, clock: Clock, source: str, data: Data, partner_type: str | None
) -> Outcome[Data]:
    organisation = actor.organisation
    if not actor.is_partner or not organisation:
        raise Forbidden("only a partner refers a person")
    niss = "".join(ch for ch in data["niss"] if ch.isdigit()) if data.get("niss") else None
    name = search_key(data["first_name"], data["last_name"])
    same_person = or_(
        Referral.niss == niss if niss else False,
        (Referral.search_name == name) & (Referral.birth_date == data["birth_date"]),
    )
    earlier = session.scalars(
        select(Referral)
        .where(Referral.organisation == organisation, same_person)
        .order_by(Referral.submitted_at.desc(), Referral.id)
    ).all()
    for row in earlier:
        if row.status == RECEIVED:
            raise Conflict("your organisation's referral of this person is awaiting the Mission's answer", row.id)
    if earlier and earlier[0].status == DECLINED and nothing_new(earlier[0], data):
        raise Conflict(
            f"the Mission declined your referral of this person on {earlier[0].answered_on:%d/%m/%Y}; refer them "
            "again only with something new (another reason or target group)",
            earlier[0].id,
            "reason",
        )
    row = Referral(
        id=str(uuid.uuid4()),
        organisation=organisation,
        partner_type=partner_type,
        submitted_by=actor.sub,
        submitted_at=clock.now(),
        niss=niss,
        first_name=data["first_name"],
        last_name=data["last_name"],
        search_name=name,
        birth_date=data["birth_date"],
        municipality=data["municipality"],
        phone=data.get("phone"),
        email=data.get("email"),
        reason=data["reason"],
        target_groups=sorted(set(data["target_groups"])),
        consent=True,
        status=RECEIVED,
        inform_referrer=False,
    )
    session.add(row)
    session.flush()
    app.audit(session, actor, clock, "beneficiary.referral.submit", row.id, "referral")
    payload = internal.ReferralReceivedV1(
        referral_id=row.id, organisation=organisation, partner_type=partner_type, on=clock.today()
    )
    log.info("referral %s received from organisation %s", row.id, organisation)
    return Outcome(for_partner(row, None), undirected([build(payload, source=source, subject=row.id)]))


# -- 2. reading: the partner its own, the Mission's staff the queue ---------------------
def _visible(actor: Actor) -> list[Any]:
    """What the caller may see: a partner, its organisation's referrals only."""
    return [Referral.organisation == actor.organisation] if actor.is_partner else []


def listing(
    session: Session, actor: Actor, clock: Clock, status: str | None, page: int, page_size: int, purpose: str
) -> Data:
    """One page of referrals, the latest first: a partner's own organisation's (each with the status it may
    read), or for the Mission's staff every referral (by default the ones awaiting an answer); audited."""
    conditions = _visible(actor)
    if status:
        conditions.append(Referral.status == status)
    elif not actor.is_partner:
        conditions.append(Referral.status == RECEIVED)
    offset, limit = inputs.page_window(page, page_size)
    total = session.scalar(select(func.count()).select_from(Referral).where(*conditions)) or 0
    rows = session.scalars(
        select(Referral)
        .where(*conditions)
        .order_by(Referral.submitted_at.desc(), Referral.id)
        .offset(offset)
        .limit(limit)
    ).all()
    app.audit_each(session, actor, clock, "beneficiary.referral.read", [r.id for r in rows], purpose)
    return answers.page(_answers(session, actor, rows), page, page_size, total)


def one(session: Session, actor: Actor, clock: Clock, referral_id: object, purpose: str) -> Data:
    """One referral; for a partner only one its organisation made (another's does not exist for it)."""
    row = _referral(session, actor, referral_id)
    app.audit(session, actor, clock, "beneficiary.referral.read", row.id, purpose)
    return _answers(session, actor, [row])[0]


def _referral(session: Session, actor: Actor, referral_id: object, lock: bool = False) -> Referral:
    if not isinstance(referral_id, str):
        raise NotFound("referral", str(referral_id)[:64])
    query = select(Referral).where(Referral.id == referral_id, *_visible(actor))
    found = session.scalars(query.with_for_update() if lock else query).first()
    if found is None:
        raise NotFound("referral", referral_id[:64])
    return found


def _answers(session: Session, actor: Actor, rows: Iterable[Referral]) -> list[Data]:
    rows = list(rows)
    if not actor.is_partner:
        return [for_staff(r) for r in rows]
    people = {r.beneficiary_id for r in rows if r.beneficiary_id and r.inform_referrer}
    status: dict[str, str] = {}
    if people:
        query = select(Beneficiary.id, Beneficiary.status).where(Beneficiary.id.in_(people))
        status = {ref: file_status for ref, file_status in session.execute(query)}
    return [for_partner(r, status.get(r.beneficiary_id or "")) for r in rows]


def for_partner(row: Referral, file_status: str | None) -> Data:
    """What the referring partner reads: what it sent to recognise the person, and the status; nothing else."""
    return {
        "id": row.id,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "birth_date": row.birth_date.isoformat(),
        "submitted_on": row.submitted_at.date().isoformat(),
        "status": status_for_partner(row.status, row.inform_referrer, file_status),
        "answered_on": row.answered_on.isoformat() if row.answered_on else None,
        "decline_reason": row.decline_reason if row.status == DECLINED else None,
    }


def for_staff(row: Referral) -> Data:
    """What the Mission's counsellors read: everything the partner gave, and the answer."""
    return {
        "id": row.id,
        "organisation": row.organisation,
        "partner_type": row.partner_type,
        "submitted_by": row.submitted_by,
        "submitted_at": row.submitted_at.isoformat(),
        "niss": row.niss,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "birth_date": row.birth_date.isoformat(),
        "municipality": row.municipality,
        "phone": row.phone,
        "email": row.email,
        "reason": row.reason,
        "target_groups": list(row.target_groups or []),
        "consent": row.consent,
        "status": row.status,
        "answered_by": row.answered_by,
        "answered_on": row.answered_on.isoformat() if row.answered_on else None,
        "decline_reason": row.decline_reason,
        "beneficiary_id": row.beneficiary_id,
        "inform_referrer": row.inform_referrer,
    }


# -- 3. the Mission answers ---------------------------------------------------------
def _awaiting(session: Session, actor: Actor, referral_id: object) -> Referral:
    row = _referral(session, actor, referral_id, lock=True)
    if row.status != RECEIVED:
        raise Conflict(f"this referral was {row.status} on {row.answered_on:%d/%m/%Y} already", row.id)
    return row


def accept(
    session: Session, actor: Actor, clock: Clock, source: str, referral_id: object, completed: Data
) -> Outcome[Data]:
    """The referral becomes an intake: the intake use case itself, on what the partner gave completed by the
    counsellor (``completed``: the intake's fields as sent, JSON values, and ``inform_referrer``, the person's
    agreement that the partner be told where they stand); field errors are the intake's (422),
    a number already on file its 409 naming the file. Refused, nothing is written: the referral stays received."""
    row = _awaiting(session, actor, referral_id)
    completed = dict(completed)
    inform = bool(completed.pop("inform_referrer", False))
    intake = inputs.load(IntakeSchema(), intake_from(row, completed))
    opened = app.register(session, actor, clock, source, intake)
    who = opened.value
    app.current_episode(session, who).referral_id = row.id
    app.audit(session, actor, clock, "beneficiary.referral.answer", row.id, "referral")
    row.status, row.answered_by, row.answered_on, row.beneficiary_id = ACCEPTED, actor.sub, clock.today(), who.id
    row.inform_referrer = inform
    payload = internal.ReferralAcceptedV1(
        referral_id=row.id,
        organisation=row.organisation,
        partner_type=row.partner_type,
        on=clock.today(),
        beneficiary_id=who.id,
    )
    log.info("referral %s accepted: beneficiary %s", row.id, who.id)
    events = [*opened.events, *undirected([build(payload, source=source, subject=row.id)])]
    return Outcome(for_staff(row), events)


def decline(
    session: Session, actor: Actor, clock: Clock, source: str, referral_id: object, data: Data
) -> Outcome[Data]:
    row = _awaiting(session, actor, referral_id)
    row.status, row.answered_by, row.answered_on = DECLINED, actor.sub, clock.today()
    row.decline_reason = data["reason"]
    app.audit(session, actor, clock, "beneficiary.referral.answer", row.id, "referral")
    payload = internal.ReferralDeclinedV1(
        referral_id=row.id, organisation=row.organisation, partner_type=row.partner_type, on=clock.today()
    )
    log.info("referral %s declined", row.id)
    return Outcome(for_staff(row), undirected([build(payload, source=source, subject=row.id)]))


# -- 4. the person's consent that the partner be told ---------------------------------
def record_inform_referrer(session: Session, who: Beneficiary, data: Data) -> Data:
    """Whether the partner(s) that referred the person may read "in accompaniment" / "ended"; the file must have
    come from a referral."""
    rows = session.scalars(select(Referral).where(Referral.beneficiary_id == who.id)).all()
    if not rows:
        raise ValidationFailed({"inform_referrer": ["this file was not opened from a partner's referral"]})
    for row in rows:
        row.inform_referrer = data["inform_referrer"]
    return {"beneficiary_id": who.id, "inform_referrer": data["inform_referrer"], "referrals": [r.id for r in rows]}
