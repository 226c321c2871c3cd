"""The beneficiary service's use cases, free of nameko.

Each function takes the unit of work (the session of the entrypoint's transaction), the actor the caller
was authorised as, the clock and what the use case needs (the events' ``source``, the loaded payload),
applies the rules of ``beneficiary.domain``, writes through the session and returns a
``kit.application.Outcome``: the record or value to answer with, and the events to publish with the change.
Who may call what is checked before (``service.py``, ``kit.actor``); reading a person's file writes an
audit row here, by reference only.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from beneficiary import domain, events, queries, schemas, transfer_records
from beneficiary.enums import (
    ACTIVE,
    CLOSED,
    DROPPED_OUT,
    EXITED,
    INTAKE_STAGE,
    KIND_DROPPED_OUT,
    KIND_ENTERED,
    KIND_EXITED,
    KIND_REENTERED,
    KIND_REOPENED,
    PROVISIONAL,
    SENSITIVE_GROUPS,
    SENT,
)
from beneficiary.models import (
    AgencyFact,
    Assessment,
    Audit,
    Beneficiary,
    Contract,
    Correction,
    Disclosure,
    Episode,
    ErasureResidue,
    FollowedElsewhere,
    IdentityMerge,
    Note,
    Orientation,
    PlanVersion,
    Referral,
    StageTransition,
    TargetGroup,
    Transfer,
)
from contracts.envelope import Event
from kit import agency_outbox as agency_events
from kit import answers, corrections, inputs
from kit.actor import Actor
from kit.application import Addressed, Clock, Outcome, internal, refused_as_field_errors
from kit.errors import Conflict, FileExists, Forbidden, NotFound, ValidationFailed
from kit.pseudonym import key_id, pseudonym
from kit.references import Ref
from kit.search import search_key
from kit.storage import outbox as outbox_table

log = logging.getLogger(__name__)
Data = dict[str, Any]
# A change to one person's file, as the entrypoints call it: (session, actor, clock, source, person, payload).
FileChange = Callable[[Session, Actor, Clock, str, Beneficiary, Data], Outcome[Any]]
# What an event builder of ``beneficiary.events`` returns: events, or (events, [(agency event, agency)]).
Built = list[Event] | tuple[list[Event], list[tuple[Event, str]]]


# -- the pieces every use case shares -------------------------------------
def person(session: Session, beneficiary_id: object) -> Beneficiary:
    """The person ``beneficiary_id`` names in this Mission, or NotFound."""
    found = session.get(Beneficiary, beneficiary_id) if isinstance(beneficiary_id, str) else None
    if found is None:
        raise NotFound("beneficiary", str(beneficiary_id)[:64])
    return found


def audit(
    session: Session, actor: Actor, clock: Clock, action: str, subject: str, purpose: str = "accompaniment"
) -> None:
    """Who did ``action`` on whose file, when and why."""
    session.add(
        Audit(
            at=clock.now(),
            actor=actor.sub,
            role=",".join(actor.roles)[:30],
            action=action,
            purpose=(purpose or "accompaniment")[:100],
            subject=subject,
        )
    )


def file_to_change(session: Session, actor: Actor, clock: Clock, action: str, beneficiary_id: object) -> Beneficiary:
    """The person whose file a write changes, the change audited under the entrypoint's ``action``; a file
    transferred to another Mission is a closed record and refuses every change."""
    who = person(session, beneficiary_id)
    with refused_as_field_errors():
        domain.check_open_file(who.status)
    audit(session, actor, clock, action, who.id, "accompaniment")
    return who


def audit_each(
    session: Session, actor: Actor, clock: Clock, action: str, subjects: Iterable[str], purpose: str
) -> None:
    """One audit row per person a list showed."""
    for subject in subjects:
        audit(session, actor, clock, action, subject, purpose)


def publisher(session: Session, source: str, who: Beneficiary) -> events.EventBuilder:
    """What the events of ``who`` are built from: the person, their target groups and disclosures."""
    groups = session.scalars(select(TargetGroup).where(TargetGroup.beneficiary_id == who.id)).all()
    disclosures = session.scalars(select(Disclosure).where(Disclosure.beneficiary_id == who.id)).all()
    return events.EventBuilder(source, who, groups, disclosures)


def addressed(built: Built) -> list[Addressed]:
    """A builder's events, each with its recipient (the agency, for agency events)."""
    if isinstance(built, list):
        return internal(built)
    inside, agency = built
    return [*internal(inside), *agency]


def _transition(
    clock: Clock, actor: Actor, who: Beneficiary, kind: str, to_stage: str, data: Data, from_stage: str | None
) -> StageTransition:
    return StageTransition(
        beneficiary_id=who.id,
        from_stage=from_stage,
        to_stage=to_stage,
        kind=kind,
        reason=data.get("reason"),
        why=data.get("why"),
        at=clock.now(),
        by=actor.sub,
        role=",".join(actor.roles)[:30],
        episode=who.episode or 1,
    )


def current_episode(session: Session, who: Beneficiary) -> Episode:
    """The file's current episode, for a write (every file has one from intake, or from migration 0013)."""
    found = session.get(Episode, (who.id, who.episode or 1))
    if found is None:  # a file written by another path than intake (an import, a transfer): its first episode
        found = Episode(
            beneficiary_id=who.id,
            number=who.episode or 1,
            started_on=who.registered_on,
            referrer_type=who.referrer_type,
            referrer_organisation=who.referrer_organisation,
            opened_by=who.counsellor or "intake",
            opened_at=who.created_at,
        )
        session.add(found)
    return found


# -- intake and reading ---------------------------------------------------
def provisional_pseudonym() -> str:
    """A provisional identity's pseudonym: random, of a keyed pseudonym's shape. There is no number to derive
    it from, and none may be invented: completing the identity renames it at InterMire to the number's
    keyed pseudonym (``beneficiary.identity``), so the person counts once there."""
    return uuid.uuid4().hex


def check_no_lookalike(session: Session, data: Data) -> None:
    """A provisional intake whose last name, first name (accents and case aside) and birth date are those of a
    file on record is refused on ``last_name``, naming that file, unless ``confirmed_other_person``."""
    if data.get("confirmed_other_person"):
        return
    lookalike = session.scalar(
        select(Beneficiary.id)
        .where(
            Beneficiary.search_name == search_key(data["first_name"], data["last_name"]),
            Beneficiary.birth_date == data["birth_date"],
        )
        .order_by(Beneficiary.registered_on, Beneficiary.id)
        .limit(1)
    )
    if lookalike:
        raise Conflict(
            "a file with the same last name, first name and birth date exists in this Mission: complete that "
            "file, or confirm that this is another person",
            lookalike,
            "last_name",
        )


def register(session: Session, actor: Actor, clock: Clock, source: str, data: Data) -> Outcome[Beneficiary]:
    """Intake: a new person's file. Refuses a national or BIS number the Mission already follows, naming the file
    and whether it can be re-opened; a provisional identity (no number yet, ``provisional_pseudonym``) that looks
    like a file on record is refused too, unless the counsellor confirmed it is another person."""
    if data.get("identity") == PROVISIONAL:
        niss, kind, pseudo = None, PROVISIONAL, provisional_pseudonym()
        check_no_lookalike(session, data)
    else:
        niss = "".join(ch for ch in data["niss"] if ch.isdigit())
        with refused_as_field_errors():
            kind = domain.niss_kind(niss)
        existing = session.execute(select(Beneficiary.id, Beneficiary.status).where(Beneficiary.niss == niss)).first()
        if existing:
            # Named, with whether it can be re-opened: the counsellor re-opens it rather than duplicate the person.
            raise FileExists(existing.id, "closed" if existing.status in CLOSED else "open")
        pseudo = pseudonym(niss)
    who = Beneficiary(
        id=str(uuid.uuid4()),
        niss=niss,
        niss_kind=kind,
        pseudonym=pseudo,
        pseudonym_key=key_id(),
        first_name=data["first_name"],
        last_name=data["last_name"],
        birth_date=data["birth_date"],
        gender=data["gender"],
        municipality=data["municipality"],
        registered_on=data["registered_on"] or clock.today(),
        created_at=clock.now(),
        phone=data["phone"],
        email=data["email"],
        referrer_type=data["referrer_type"],
        referrer_organisation=data["referrer_organisation"],
        stage=INTAKE_STAGE,
        status=ACTIVE,
        counsellor=actor.sub,
        episode=1,
    )
    session.add(who)
    session.flush()
    current_episode(session, who)
    for group in data["target_groups"]:
        session.add(TargetGroup(beneficiary_id=who.id, **group))
    for disclosure in data["disclosures"]:
        session.add(Disclosure(beneficiary_id=who.id, **disclosure))
    session.add(_transition(clock, actor, who, KIND_ENTERED, INTAKE_STAGE, {}, None))
    session.flush()
    published = addressed(events.registered(publisher(session, source, who)))
    audit(session, actor, clock, "beneficiary.register", who.id)
    if kind == PROVISIONAL and data.get("confirmed_other_person"):
        # The counsellor set aside a look-alike file: kept, so that a later merge can be traced to the choice.
        audit(session, actor, clock, "beneficiary.register.confirmed_other_person", who.id)
    log.info("registered beneficiary %s", who.id)
    return Outcome(who, published)


@dataclass(frozen=True)
class GroupSeen:
    """A target group as the caller sees it: ``evidence`` None where their roles may not see it."""

    group: str
    since: date
    until: date | None
    evidence: str | None


@dataclass(frozen=True)
class File:
    person: Beneficiary
    target_groups: list[GroupSeen]
    disclosures: list[Disclosure]
    plan_version: int | None
    contract: Contract | None
    followed_elsewhere: list[str]
    merges: list[IdentityMerge]
    episode: int
    episodes: list[Episode]
    # The file's latest transfer to another Mission and where it stands (``beneficiary.transfers``), if any.
    transfer: Transfer | None = None


def file(
    session: Session, actor: Actor, clock: Clock, site: str, beneficiary_id: object, purpose: str, sensitive_ok: bool
) -> File:
    """The file: identity, target groups (evidence of sensitive ones only when ``sensitive_ok``),
    disclosures, current plan version, contract, and the other Missions said to follow the person."""
    who = person(session, beneficiary_id)
    audit(session, actor, clock, "beneficiary.read", who.id, purpose)
    groups = [
        GroupSeen(g.group, g.since, g.until, g.evidence if (g.group not in SENSITIVE_GROUPS or sensitive_ok) else None)
        for g in session.scalars(select(TargetGroup).where(TargetGroup.beneficiary_id == who.id))
    ]
    disclosures = list(session.scalars(select(Disclosure).where(Disclosure.beneficiary_id == who.id)))
    plan = session.scalars(
        select(PlanVersion)
        .where(PlanVersion.beneficiary_id == who.id, PlanVersion.episode == who.episode)
        .order_by(PlanVersion.version.desc())
        .limit(1)
    ).first()
    signal = session.get(FollowedElsewhere, who.pseudonym)
    episodes = list(
        session.scalars(select(Episode).where(Episode.beneficiary_id == who.id).order_by(Episode.number.desc()))
    )
    return File(
        person=who,
        target_groups=groups,
        disclosures=disclosures,
        plan_version=plan.version if plan else None,
        contract=session.get(Contract, (who.id, who.episode)),
        followed_elsewhere=[m for m in (signal.missions if signal else []) if m != site],
        episode=who.episode,
        episodes=episodes,
        merges=list(
            session.scalars(select(IdentityMerge).where(IdentityMerge.into_id == who.id).order_by(IdentityMerge.id))
        ),
        transfer=session.scalars(
            select(Transfer)
            .where(Transfer.beneficiary_id == who.id, Transfer.direction == SENT)
            .order_by(Transfer.requested_on.desc(), Transfer.id.desc())
            .limit(1)
        ).first(),
    )


def note_followed_elsewhere(session: Session, clock: Clock, pseudo: str, missions: list[str]) -> None:
    """InterMire says other Missions follow this pseudonym too: kept for the person's file, if still ours."""
    if session.scalar(select(Beneficiary.id).where(Beneficiary.pseudonym == pseudo)) is None:
        return  # erased since, or never ours: keep nothing
    session.merge(FollowedElsewhere(pseudonym=pseudo, missions=sorted(missions), signalled_at=clock.now()))


def page_of_people(session: Session, actor: Actor, clock: Clock, page: int, page_size: int, purpose: str) -> Data:
    """One page of the Mission's people by name, with the total; each person listed is audited."""
    offset, limit = inputs.page_window(page, page_size)
    total = session.scalar(select(func.count()).select_from(Beneficiary)) or 0
    people = session.scalars(
        select(Beneficiary).order_by(Beneficiary.last_name, Beneficiary.id).offset(offset).limit(limit)
    ).all()
    audit_each(session, actor, clock, "beneficiary.list", [listed.id for listed in people], purpose)
    return answers.page(schemas.LISTED.dump(people, many=True), page, page_size, total)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Beneficiary)) or 0


def known(session: Session, asked: list[str]) -> dict[str, None]:
    """Which of ``asked`` name a person of this Mission (existence only, for ``kit.references``)."""
    return {i: None for i in session.scalars(select(Beneficiary.id).where(Beneficiary.id.in_(asked)))}


def plans(session: Session, actor: Actor, clock: Clock, beneficiary_id: object, purpose: str) -> list[PlanVersion]:
    who = person(session, beneficiary_id)
    audit(session, actor, clock, "beneficiary.plans", who.id, purpose)
    return list(
        session.scalars(
            select(PlanVersion).where(PlanVersion.beneficiary_id == who.id).order_by(PlanVersion.version)
        ).all()
    )


def pathway(session: Session, actor: Actor, clock: Clock, beneficiary_id: object, purpose: str) -> Data:
    """Where the person is on the path (stage and status) and every move that brought them there."""
    who = person(session, beneficiary_id)
    audit(session, actor, clock, "beneficiary.pathway", who.id, purpose)
    steps = session.scalars(
        select(StageTransition).where(StageTransition.beneficiary_id == who.id).order_by(StageTransition.id)
    ).all()
    return {"stage": who.stage, "status": who.status, "episode": who.episode, "transitions": list(steps)}


# -- search, caseload and what is due (beneficiary.queries): each person listed is audited ----------
def search(session: Session, actor: Actor, clock: Clock, found: Data, page: int, page_size: int, purpose: str) -> Data:
    """One page of the people ``found`` asks for (``queries.SearchSchema``), by name."""
    total, items = queries.search(session, found, *inputs.page_window(page, page_size))
    audit_each(session, actor, clock, "beneficiary.search", [item["id"] for item in items], purpose)
    return answers.page(items, page, page_size, total)


def caseload(
    session: Session,
    actor: Actor,
    clock: Clock,
    counsellor: object,
    stage: object,
    page: int,
    page_size: int,
    purpose: str,
) -> Data:
    """A counsellor's caseload (the caller's when ``counsellor`` is None): active people (at ``stage`` if
    given) with their next due item, and counts by stage."""
    asked = inputs.load(queries.CaseloadSchema(), {"counsellor": counsellor, "stage": stage})
    offset, limit = inputs.page_window(page, page_size)
    who = cast(str, asked["counsellor"] or actor.sub)  # an authorised caller always has a sub
    body = queries.caseload(session, who, clock.today(), offset, limit, asked["stage"])
    audit_each(session, actor, clock, "beneficiary.caseload", [item["id"] for item in body["items"]], purpose)
    return body | {"page": page, "page_size": page_size, "total": body["listed"]}


def assessments(session: Session, actor: Actor, clock: Clock, beneficiary_id: object, purpose: str) -> list[Data]:
    """Every competence assessment of a person, the latest first."""
    who = person(session, beneficiary_id)
    audit(session, actor, clock, "beneficiary.assessments", who.id, purpose)
    return queries.assessments(session, who.id)


def due(session: Session, actor: Actor, clock: Clock, counsellor: object, horizon_days: object, purpose: str) -> Data:
    """What falls due (six-month checks, plan reviews) by ``horizon_days`` ahead, overdue first: for one
    counsellor, or the whole Mission when ``counsellor`` is None."""
    asked = inputs.load(queries.DueSchema(), {"counsellor": counsellor, "horizon_days": horizon_days})
    body = queries.due(session, clock.today(), asked["horizon_days"], asked["counsellor"])
    audit_each(session, actor, clock, "beneficiary.due", {item["person"]["id"] for item in body["items"]}, purpose)
    return body


# -- the audit trail, as the data-protection officer reviews it ------------
def audit_entries(
    session: Session,
    subject: str | None,
    user: str | None,
    since: date | None,
    until: date | None,
    page: int,
    page_size: int,
) -> Data:
    """One page of the audit trail, the latest first: of one person (``subject``), one user, and/or a period
    (``since`` and ``until``, days in UTC, both included)."""
    conditions = []
    if subject:
        conditions.append(Audit.subject == subject)
    if user:
        conditions.append(Audit.actor == user)
    if since:
        conditions.append(Audit.at >= datetime.combine(since, time(), UTC))
    if until:
        conditions.append(Audit.at < datetime.combine(until + timedelta(days=1), time(), UTC))
    offset, limit = inputs.page_window(page, page_size)
    total = session.scalar(select(func.count()).select_from(Audit).where(*conditions)) or 0
    rows = session.scalars(
        select(Audit).where(*conditions).order_by(Audit.at.desc(), Audit.id.desc()).offset(offset).limit(limit)
    ).all()
    return answers.page(schemas.AuditEntrySchema(many=True).dump(rows), page, page_size, total)


# -- disclosures ----------------------------------------------------------
def record_disclosure(
    session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, data: Data
) -> Outcome[Data]:
    """A legal basis or the person's consent for telling an agency about their path: one at a time per agency."""
    active = session.scalar(
        select(Disclosure.id).where(
            Disclosure.beneficiary_id == who.id,
            Disclosure.agency == data["agency"],
            Disclosure.withdrawn_on.is_(None),
        )
    )
    if active:
        raise Conflict(f"a disclosure to {data['agency']} is already on record", str(active))
    session.add(Disclosure(beneficiary_id=who.id, **data))
    return Outcome({"agency": data["agency"], "basis": data["basis"]})


def withdraw_disclosure(
    session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, agency: Any
) -> Outcome[Data]:
    """The disclosure to ``agency`` ends today; the agency is asked to forget what it was sent."""
    record = session.scalars(
        select(Disclosure).where(
            Disclosure.beneficiary_id == who.id,
            Disclosure.agency == agency,
            Disclosure.withdrawn_on.is_(None),
        )
    ).first()
    if record is None:
        raise NotFound("disclosure", str(agency)[:20])
    published = _forget_at_agency(session, clock, source, who, record, domain.forget_reason(record.basis))
    record.withdrawn_on = clock.today()
    return Outcome({"agency": agency, "withdrawn_on": record.withdrawn_on.isoformat()}, published)


def _forget_at_agency(
    session: Session, clock: Clock, source: str, who: Beneficiary, record: Disclosure, reason: str
) -> list[Addressed]:
    """Stop telling ``record``'s agency about the person: nothing kept or pending for it is sent (or
    replayed) any more and, if anything was sent, the agency is asked to delete it."""
    if not record.agency_reference:
        return []  # nothing was ever sent: the agency could not have recognised the person
    if not agency_events.drop(session, record.agency, record.agency_reference):
        return []
    event, agency = events.forget_requested(publisher(session, source, who), record, reason, clock.today())
    return [(event, agency)]


# -- assessment and plan --------------------------------------------------
def assess(
    session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, data: Data
) -> Outcome[Assessment]:
    """Record what the person can already do, in the taxonomy's competence codes."""
    assessed_on = data["assessed_on"] or clock.today()
    with refused_as_field_errors():
        domain.check_not_before_intake("assessed_on", assessed_on, who.registered_on)
    assessment = Assessment(
        id=str(uuid.uuid4()),
        beneficiary_id=who.id,
        assessed_on=assessed_on,
        assessed_by=actor.sub,
        competences=data["competences"],
    )
    session.add(assessment)
    session.flush()
    return Outcome(assessment, addressed(events.assessed(publisher(session, source, who), assessment)))


def agree_plan(
    session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, data: Data
) -> Outcome[PlanVersion]:
    """A new version of the insertion plan, negotiated with the person; earlier versions are kept."""
    with refused_as_field_errors():
        domain.check_plan_open(who.status)
    last = session.scalar(select(func.max(PlanVersion.version)).where(PlanVersion.beneficiary_id == who.id)) or 0
    plan = PlanVersion(
        beneficiary_id=who.id,
        version=last + 1,
        target_occupations=data["target_occupations"],
        missing_competences=data["missing_competences"],
        actions=[dict(a, due=a["due"].isoformat() if a["due"] else None) for a in data["actions"]],
        contract_wishes=data["contract_wishes"],
        hours_wish=data["hours_wish"],
        mobility_km=data["mobility_km"],
        available_from=data["available_from"],
        agreed_by=actor.sub,
        agreed_at=clock.now(),
        agreed_with_person=data["agreed_with_person"],
        episode=who.episode,
    )
    session.add(plan)
    session.flush()
    return Outcome(plan, addressed(events.plan_agreed(publisher(session, source, who), plan)))


# -- pathway --------------------------------------------------------------
def move_stage(
    session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, data: Data
) -> Outcome[Beneficiary]:
    """Move along the path: skips and returns allowed; a dropped-out person re-enters."""
    try:
        domain.check_stage_move(who.status, who.stage, data["to"])
    except domain.TransitionRefused as exc:
        raise ValidationFailed({"to": [str(exc)]}) from None
    kind, before = domain.move_kind(who.status), who.stage
    session.add(_transition(clock, actor, who, kind, data["to"], {"why": data["why"]}, before))
    if kind == KIND_REENTERED:  # the person comes back within the same episode: it has not ended
        episode = current_episode(session, who)
        episode.ended_on = episode.outcome = episode.outcome_reason = None
    who.stage, who.status = data["to"], ACTIVE
    built = events.stage_changed(publisher(session, source, who), before, data["to"], kind, clock.today())
    return Outcome(who, addressed(built))


def drop_out(
    session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, data: Data
) -> Outcome[Beneficiary]:
    try:
        domain.check_dropout(who.status)
    except domain.TransitionRefused as exc:
        raise ValidationFailed({"status": [str(exc)]}) from None
    session.add(_transition(clock, actor, who, KIND_DROPPED_OUT, who.stage, data, who.stage))
    end_episode(session, who, clock.today(), DROPPED_OUT, data["reason"])
    who.status = DROPPED_OUT
    built = events.dropped_out(publisher(session, source, who), who.stage, data["reason"], clock.today())
    return Outcome(who, addressed(built))


def exit_path(
    session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, data: Data
) -> Outcome[Beneficiary]:
    with refused_as_field_errors():
        domain.check_exit(who.status)
    session.add(_transition(clock, actor, who, KIND_EXITED, who.stage, data, who.stage))
    end_episode(session, who, clock.today(), EXITED, data["reason"])
    who.status = EXITED
    return Outcome(who, addressed(events.exited(publisher(session, source, who), data["reason"], clock.today())))


def latest_contract(session: Session, who: Beneficiary) -> Contract | None:
    """The person's latest first contract (of the latest episode that has one): the one a six-month check is
    about, even once the person came back in a new episode."""
    return session.scalars(
        select(Contract).where(Contract.beneficiary_id == who.id).order_by(Contract.episode.desc()).limit(1)
    ).first()


def end_episode(session: Session, who: Beneficiary, on: date, outcome: str, reason: str | None) -> None:
    """The current episode ends (exit, drop-out, or the file handed to another Mission), its outcome kept."""
    episode = current_episode(session, who)
    episode.ended_on, episode.outcome, episode.outcome_reason = on, outcome, reason


def reopen(session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, data: Data) -> Outcome[Data]:
    """A person who left comes back: a new episode on the same file, from its intake stage.

    Only a closed file (exited or dropped out) is re-opened (409 otherwise: it is still followed). Earlier
    episodes keep their path entries, plans and contracts, readable as they were; the new one starts with
    none, at the intake stage. Other services hear of it (matching lists the person again), InterMire counts
    a new episode of the same pseudonym, and an agency with a disclosure on record hears that the person is
    back (``events.reopened``)."""
    try:
        domain.check_reopen(who.status)
    except domain.TransitionRefused as exc:
        raise Conflict(str(exc), who.id) from None
    previous = current_episode(session, who)
    started_on = data["started_on"] or clock.today()
    with refused_as_field_errors():
        domain.check_reopen_date(started_on, previous.started_on, previous.ended_on, clock.today())
    if previous.ended_on is None:  # closed before episodes were kept with their end: the end is the re-opening
        previous.ended_on, previous.outcome = started_on, who.status
    before = who.stage
    who.episode = previous.number + 1
    episode = Episode(
        beneficiary_id=who.id,
        number=who.episode,
        started_on=started_on,
        referrer_type=data["referrer_type"],
        referrer_organisation=data["referrer_organisation"],
        why=data["why"],
        opened_by=actor.sub,
        opened_at=clock.now(),
    )
    session.add(episode)
    session.add(_transition(clock, actor, who, KIND_REOPENED, INTAKE_STAGE, {"why": data["why"]}, before))
    who.stage, who.status, who.plan_review_due = INTAKE_STAGE, ACTIVE, None
    session.flush()
    built = events.reopened(publisher(session, source, who), episode)
    log.info("re-opened beneficiary %s: episode %d", who.id, episode.number)
    return Outcome(
        {"id": who.id, "episode": episode.number, "started_on": started_on, "stage": who.stage, "status": who.status},
        addressed(built),
    )


# -- accompaniment notes --------------------------------------------------
def add_note(session: Session, actor: Actor, clock: Clock, beneficiary_id: object, data: Data) -> Note:
    """A note of its kind on the file; its writing is audited, its text never leaves the service (but with
    the file, when the person consents to its transfer to another Mission: ``beneficiary.transfers``)."""
    who = person(session, beneficiary_id)
    with refused_as_field_errors():
        domain.check_open_file(who.status)
    note = Note(
        id=str(uuid.uuid4()),
        beneficiary_id=who.id,
        kind=data["kind"],
        text=data["text"],
        author=actor.sub,
        at=clock.now(),
    )
    session.add(note)
    audit(session, actor, clock, f"beneficiary.notes.{data['kind']}.write", who.id)
    return note


def note_written(beneficiary_id: object, payload: Data) -> str:
    """The policy action of writing a note: the note's kind decides who may."""
    return f"beneficiary.notes.{payload['kind']}"


def notes_read(beneficiary_id: object, kind: str, purpose: str) -> str:
    """The policy action of reading a file's notes of one kind."""
    return f"beneficiary.notes.{kind}"


def check_note_kind(kind: object) -> str:
    """The kind of notes asked for, or a field-level error (before anyone is authorised for it)."""
    with refused_as_field_errors():
        domain.check_note_kind(kind)
    return str(kind)


def notes(session: Session, actor: Actor, clock: Clock, beneficiary_id: object, kind: str, purpose: str) -> list[Note]:
    who = person(session, beneficiary_id)
    audit(session, actor, clock, f"beneficiary.notes.{kind}.read", who.id, purpose)
    return list(
        session.scalars(select(Note).where(Note.beneficiary_id == who.id, Note.kind == kind).order_by(Note.at)).all()
    )


# -- outcomes -------------------------------------------------------------
def employer_named(beneficiary_id: object, payload: Data) -> list[Ref]:
    """The employer a contract names, checked with the employer service before the contract is written."""
    return [Ref("employer_id", "employer", payload["employer_id"])]


def record_contract(
    session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, data: Data
) -> Outcome[Contract]:
    """The first contract signed; schedules the six-month check."""
    with refused_as_field_errors():
        domain.check_not_before_intake("signed_on", data["signed_on"], who.registered_on)
        domain.check_not_before_intake("signed_on", data["signed_on"], current_episode(session, who).started_on)
    if session.get(Contract, (who.id, who.episode)) is not None:
        raise Conflict("a first contract is already recorded in this episode", who.id)
    contract = Contract(
        beneficiary_id=who.id, episode=who.episode, check_due=domain.six_month_check_due(data["signed_on"]), **data
    )
    session.add(contract)
    session.flush()
    return Outcome(contract, addressed(events.contract_signed(publisher(session, source, who), contract)))


def record_six_month_check(
    session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, data: Data
) -> Outcome[Contract]:
    contract = latest_contract(session, who)
    if contract is None:
        raise ValidationFailed({"beneficiary": ["no first contract recorded"]})
    if contract.checked_on is not None:
        raise Conflict("the six-month check is already recorded", who.id)
    with refused_as_field_errors():
        domain.check_six_month_date(data["checked_on"], contract.check_due)
    contract.checked_on, contract.still_employed, contract.check_source = (
        data["checked_on"],
        data["still_employed"],
        data["source"],
    )
    return Outcome(contract, addressed(events.six_month_outcome(publisher(session, source, who), contract)))


# -- erasure --------------------------------------------------------------
def erase(session: Session, actor: Actor, clock: Clock, source: str, beneficiary_id: object) -> Outcome[str]:
    """Remove the person here, keep statistical residue, and tell the Mission's services to forget."""
    who = person(session, beneficiary_id)
    pub = publisher(session, source, who)
    today = clock.today()
    session.add(
        ErasureResidue(
            registered_month=who.registered_on.strftime("%Y-%m"),
            erased_month=today.strftime("%Y-%m"),
            age_band=domain.age_band(who.birth_date, who.registered_on),
            gender=who.gender,
            municipality=who.municipality,
            last_stage=who.stage,
            status=who.status,
        )
    )
    references = [who.id, who.pseudonym] + [d.agency_reference for d in pub.disclosures if d.agency_reference]
    # Published events hold references only, but once sent they serve no one: drop them too.
    session.execute(
        delete(outbox_table).where(
            outbox_table.c.sent_at.is_not(None),
            or_(*[outbox_table.c.payload.contains(ref) for ref in references]),
        )
    )
    # An orientation to a partner goes with the file (its counts stay in reporting, linked to no one).
    for model in (
        Note,
        Assessment,
        PlanVersion,
        StageTransition,
        Contract,
        TargetGroup,
        Disclosure,
        Episode,
        Orientation,
        AgencyFact,
    ):
        session.execute(delete(model).where(model.beneficiary_id == who.id))
    session.execute(delete(FollowedElsewhere).where(FollowedElsewhere.pseudonym == who.pseudonym))
    # The traces of provisional files merged into this one name it: they go with the person.
    session.execute(delete(IdentityMerge).where(IdentityMerge.into_id == who.id))
    # The corrections' history holds the person's former names, addresses and contacts: it goes too.
    session.execute(delete(Correction).where(Correction.record == CORRECTED, Correction.record_id == who.id))
    # A partner's referral the file was opened from holds the person's identity as the partner gave it.
    session.execute(delete(Referral).where(Referral.beneficiary_id == who.id))
    # The file's transfers lose its reference; a request pending here for the person is declined.
    published = addressed(events.erased(pub, today)) + transfer_records.forget(session, actor.sub, today, source, who)
    session.delete(who)
    audit(session, actor, clock, "beneficiary.erase", str(beneficiary_id), "erasure")
    return Outcome(str(beneficiary_id), published)


# -- corrections with history (kit.corrections) ---------------------------
CORRECTED = "beneficiary"
# The person's own fields a correction may change, in the order the history lists them.
CORRECTABLE = (
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "municipality",
    "phone",
    "email",
    "referrer_type",
    "referrer_organisation",
)


def _group_values(groups: Iterable[Any]) -> list[Data]:
    """Target groups as the history keeps them (and a correction sends them): plain values, in a stable order."""
    rows = [
        {"group": g.group, "evidence": g.evidence, "since": g.since, "until": g.until}
        if not isinstance(g, dict)
        else {"group": g["group"], "evidence": g["evidence"], "since": g["since"], "until": g.get("until")}
        for g in groups
    ]
    return cast(list[Data], corrections.plain(sorted(rows, key=lambda r: (r["group"], str(r["since"])))))


def correct(
    session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, data: Data, sensitive_ok: bool
) -> Outcome[Beneficiary]:
    """Correct the person's identity, contact, municipality or target groups, if the file is still at the
    version the caller read; each changed field is kept with its value before and after.

    Target groups with sensitive evidence may be corrected only by the roles that may see that evidence
    (``beneficiary.sensitive_evidence``), since the history shows it. Other services hear the fields that
    changed and the coded facts as they now stand (``events.corrected``); the agencies and InterMire are told
    nothing: no agency event carries a correction, and the next fact InterMire receives carries the
    person's corrected codes."""
    version = corrections.claim(session, who, Correction, CORRECTED, corrections.sent_version(data))
    changes = corrections.apply(who, data, CORRECTABLE)
    if "target_groups" in data:
        held = list(session.scalars(select(TargetGroup).where(TargetGroup.beneficiary_id == who.id)))
        before, after = _group_values(held), _group_values(data["target_groups"])
        if before != after:
            touched = {g["group"] for g in before if g not in after} | {g["group"] for g in after if g not in before}
            if touched & SENSITIVE_GROUPS and not sensitive_ok:
                raise Forbidden("your role may not correct the target groups whose evidence is sensitive")
            for group in held:
                session.delete(group)
            session.flush()
            for group in data["target_groups"]:
                session.add(TargetGroup(beneficiary_id=who.id, **group))
            changes.append(corrections.Change("target_groups", before, after))
    if not changes:
        raise corrections.nothing_changed()
    born, registered = who.birth_date, who.registered_on
    if born > registered:
        raise ValidationFailed({"birth_date": ["birth date is after the intake date"]})
    session.add_all(corrections.history_rows(Correction, CORRECTED, who.id, version, actor, clock.now(), changes))
    session.flush()
    published = events.corrected(publisher(session, source, who), version, [c.field for c in changes])
    return Outcome(who, internal(published))


def correction_history(
    session: Session, actor: Actor, clock: Clock, beneficiary_id: object, purpose: str, sensitive_ok: bool
) -> list[Data]:
    """The corrections of a person's file, the latest first; the evidence of sensitive target groups only
    to the roles that may see it (as on the file itself)."""
    who = person(session, beneficiary_id)
    audit(session, actor, clock, "beneficiary.corrections", who.id, purpose)
    entries = corrections.history(session, Correction, CORRECTED, who.id)
    if not sensitive_ok:
        for entry in entries:
            for change in entry["changes"]:
                if change["field"] == "target_groups":
                    for side in ("before", "after"):
                        change[side] = [
                            dict(g, evidence=None) if g["group"] in SENSITIVE_GROUPS else g for g in change[side] or []
                        ]
    return entries
