"""Convention use cases: what each request does to projects, conventions, trainees and committees.

Free of nameko: each use case takes the unit of work (an open SQLAlchemy session that its caller commits or
rolls back), the actor and a clock, applies the rules of ``convention.domain`` (its refusals become
field-level ``ValidationFailed``), writes the audit rows (who, role, when, why) and returns an ``Outcome``:
the record it wrote and the events to publish with it (``kit.application``), which the caller adds to the
outbox in the same transaction. Events are built by ``convention.events``. The reads that shape the
answers are at the end.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from stdnum.be import vat

from contracts.envelope import Event
from convention import domain, events, schemas
from convention.enums import (
    ACTIVE,
    DRAFT,
    DROPPED_OUT,
    EMPLOYER,
    EMPLOYER_PARTY,
    HIRED,
    IN_FORCE,
    IN_TRAINING,
    MISSION_PARTY,
    OPERATOR_PREFIX,
    SIGNED,
    SUPERSEDED,
    TRAINING,
)
from convention.models import (
    Committee,
    Convention,
    ConventionTransition,
    Internship,
    Party,
    Project,
    Trainee,
    TraineeTransition,
)
from kit import inputs
from kit.application import Clock, Outcome, internal, move_and_log
from kit.errors import Conflict, NotFound, ValidationFailed
from kit.references import Ref

if TYPE_CHECKING:
    from kit.actor import Actor

Data = dict[str, Any]
M = TypeVar("M", Project, Convention, Trainee)
V = TypeVar("V")
STATUS_EVENTS = {"activate": events.ACTIVATED, "cancel": events.CANCELLED, "terminate": events.TERMINATED}


@contextmanager
def rules() -> Iterator[None]:
    """The domain's refusals, as the field-level errors every client understands."""
    try:
        yield
    except domain.RuleBroken as exc:
        raise ValidationFailed(exc.errors) from None


def _role(actor: Actor) -> str:
    return ",".join(actor.roles)[:100]


def ref(value: object, field_name: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 36:
        raise ValidationFailed({field_name: ["a reference of 1 to 36 characters is expected"]})
    return value


def _parties(kind: str, operators: list[Data] | tuple[()] = ()) -> list[Party]:
    if kind == EMPLOYER:
        return [Party(party=MISSION_PARTY), Party(party=EMPLOYER_PARTY)]
    rows = [Party(party=MISSION_PARTY)]
    for operator in operators:
        number = vat.compact(operator["enterprise_number"])[-10:]
        rows.append(Party(party=OPERATOR_PREFIX + number, name=operator["name"], enterprise_number=number))
    return rows


def _term(value: V | None) -> V:
    # The two kinds of convention share one table, so each kind's terms are nullable columns; a convention's
    # own terms are required when it is created (``schemas.terms_schema``) and never emptied after.
    assert value is not None
    return value


def _schedule(training: Convention) -> tuple[date, date]:
    return _term(training.start_date), _term(training.end_date)


# -- lookups ---------------------------------------------------------------
def get(uow: Session, model: type[M], what: str, key: object, lock: bool = False) -> M:
    # ``lock``: on PostgreSQL, concurrent signatures or enrolments on one convention queue up behind each
    # other instead of both counting the same state (SQLite writers are serialised already).
    row = uow.get(model, key, with_for_update=lock) if isinstance(key, str) and len(key) <= 36 else None
    if row is None:
        raise NotFound(what, str(key)[:64])
    return row


def versions(uow: Session, project_id: str, kind: str) -> list[Convention]:
    return list(
        uow.scalars(
            select(Convention)
            .where(Convention.project_id == project_id, Convention.kind == kind)
            .order_by(Convention.version)
        )
    )


def in_force(uow: Session, project_id: str, kind: str) -> Convention | None:
    """The latest signed version of a kind that no amendment replaced (None before any signature)."""
    signed = [c for c in versions(uow, project_id, kind) if c.status in IN_FORCE]
    return signed[-1] if signed else None


def _require_active(uow: Session, project_id: str, kind: str, doing: str) -> Convention:
    convention = in_force(uow, project_id, kind)
    if convention is None or convention.status != ACTIVE:
        status = convention.status if convention else "not signed"
        raise ValidationFailed({"status": [f"cannot {doing}: the {kind} convention is {status}, not active"]})
    return convention


def _places_taken(uow: Session, project_id: str) -> int:
    # A trainee who dropped out frees the place; every other enrolment holds one.
    taken = (
        select(func.count()).select_from(Trainee).where(Trainee.project_id == project_id, Trainee.status != DROPPED_OUT)
    )
    return uow.scalars(taken).one()


def _publisher(uow: Session, source: str, convention: Convention) -> events.EventBuilder:
    return events.EventBuilder(source, uow.get_one(Project, convention.project_id), convention)


# -- the audit -------------------------------------------------------------
def _log(
    uow: Session,
    clock: Clock,
    convention: Convention,
    actor: Actor,
    to_status: str,
    reason: str | None = None,
    party: str | None = None,
) -> None:
    move_and_log(
        uow,
        clock,
        actor,
        convention,
        ConventionTransition,
        to_status,
        convention_id=convention.id,
        reason=reason,
        party=party,
    )


def _log_trainee(
    uow: Session, clock: Clock, trainee: Trainee, actor: Actor, to_status: str, on: date, reason: str | None = None
) -> None:
    move_and_log(uow, clock, actor, trainee, TraineeTransition, to_status, trainee_id=trainee.id, reason=reason, on=on)


# -- projects and conventions ------------------------------------------------
def create_project(uow: Session, actor: Actor, clock: Clock, source: str, data: Data) -> Outcome[Project]:
    """A training project with its two conventions, both drafts (``data`` loaded by ``ProjectSchema``)."""
    project = Project(
        id=str(uuid.uuid4()),
        title=data["title"],
        vacancy_id=data["vacancy_id"],
        employer_id=data["employer_id"],
        created_at=clock.now(),
        created_by=actor.sub,
    )
    uow.add(project)
    uow.flush()
    training = dict(data["training_convention"])
    operators = training.pop("operators")
    for kind, terms, parties in (
        (EMPLOYER, data["employer_convention"], _parties(EMPLOYER)),
        (TRAINING, training, _parties(TRAINING, operators)),
    ):
        _new_version(uow, actor, clock, project, kind, 1, None, terms, parties)
    uow.flush()
    return Outcome(project)


def _new_version(
    uow: Session,
    actor: Actor,
    clock: Clock,
    project: Project,
    kind: str,
    version: int,
    previous_id: str | None,
    terms: Data,
    parties: list[Party],
    reason: str | None = None,
) -> Convention:
    convention = Convention(
        id=str(uuid.uuid4()),
        project_id=project.id,
        kind=kind,
        version=version,
        previous_id=previous_id,
        status=DRAFT,
        created_at=clock.now(),
        created_by=actor.sub,
        **terms,
    )
    uow.add(convention)
    uow.flush()
    for party in parties:
        party.convention_id = convention.id
        uow.add(party)
    uow.add(
        ConventionTransition(
            convention_id=convention.id,
            from_status=None,
            to_status=DRAFT,
            reason=reason,
            at=clock.now(),
            by=actor.sub,
            role=_role(actor),
        )
    )
    return convention


def update_convention(
    uow: Session, actor: Actor, clock: Clock, source: str, convention_id: object, changes: object
) -> Outcome[Convention]:
    """Change a draft's terms (a signed convention changes only by amendment); the schema follows the kind."""
    convention = get(uow, Convention, "convention", convention_id)
    data = inputs.load(schemas.terms_schema(convention.kind, partial=True), changes)
    if convention.status != DRAFT:
        raise ValidationFailed({"status": [f"a {convention.status} convention changes only by amendment"]})
    _apply_terms(uow, convention, data)
    _log(uow, clock, convention, actor, DRAFT, reason="terms_changed")
    return Outcome(convention)


def _apply_terms(uow: Session, convention: Convention, data: Data) -> None:
    operators = data.pop("operators", None)
    for key, value in data.items():
        setattr(convention, key, value)
    if convention.kind == TRAINING:
        with rules():
            domain.check_schedule(*_schedule(convention))
    if operators is not None:
        uow.execute(delete(Party).where(Party.convention_id == convention.id, Party.party != MISSION_PARTY))
        for party in _parties(TRAINING, operators)[1:]:
            party.convention_id = convention.id
            uow.add(party)


def amend(
    uow: Session, actor: Actor, clock: Clock, source: str, convention_id: object, changes: object
) -> Outcome[Convention]:
    """A new version of a signed or active convention, as a draft; the old one stays in force until the
    new one is signed, and is then kept as superseded."""
    old = get(uow, Convention, "convention", convention_id)
    data = inputs.load(schemas.terms_schema(old.kind, partial=True), changes)
    if not data:
        raise ValidationFailed({"changes": ["an amendment changes at least one term"]})
    latest = versions(uow, old.project_id, old.kind)[-1]
    with rules():
        domain.check_amendable(old.status, latest.id == old.id)
    own = schemas.EMPLOYER_FIELDS if old.kind == EMPLOYER else schemas.TRAINING_FIELDS
    terms = {key: getattr(old, key) for key in own}
    parties = [
        Party(party=p.party, name=p.name, enterprise_number=p.enterprise_number)
        for p in uow.scalars(select(Party).where(Party.convention_id == old.id).order_by(Party.id))
    ]
    project = uow.get_one(Project, old.project_id)
    new = _new_version(
        uow, actor, clock, project, old.kind, old.version + 1, old.id, terms, parties, reason="amendment"
    )
    _apply_terms(uow, new, data)
    if new.kind == TRAINING:
        trainees = uow.scalars(
            select(Trainee).where(Trainee.project_id == project.id, Trainee.status == IN_TRAINING)
        ).all()
        with rules():
            domain.check_plan_change(
                _term(new.trainees_planned),
                _places_taken(uow, project.id),
                _schedule(new),
                [(t.start_date, t.planned_end) for t in trainees],
            )
    return Outcome(new)


def move(
    uow: Session, actor: Actor, clock: Clock, source: str, convention_id: object, action: str, reason: str | None = None
) -> Outcome[Convention]:
    """One step of the workflow (``domain.MOVES``); completing the employer convention evaluates the
    hiring commitment."""
    today = clock.today()
    convention = get(uow, Convention, "convention", convention_id, lock=True)
    project = uow.get_one(Project, convention.project_id)
    with rules():
        target = domain.move(convention.status, action)
        if action == "submit":
            domain.check_vacancy(project.vacancy_status)
    trainees = uow.scalars(select(Trainee).where(Trainee.project_id == convention.project_id)).all()
    if action == "complete":
        with rules():
            domain.check_completion(convention.kind, [t.status for t in trainees])
    if action == "activate" and convention.kind == TRAINING:
        # The employer's commitment comes first (DOMAIN.md, steps 2 then 3).
        employer = in_force(uow, convention.project_id, EMPLOYER)
        if employer is None or employer.status not in (SIGNED, ACTIVE):
            raise ValidationFailed({"status": ["the employer convention must be signed first"]})
    _log(uow, clock, convention, actor, target, reason)
    convention.status_reason = reason
    pub = _publisher(uow, source, convention)
    out = Outcome(convention)
    if action == "complete":
        counts = dict(sorted(Counter(t.status for t in trainees).items()))
        out.events += internal(events.completed(pub, today, counts))
        if convention.kind == EMPLOYER:
            hires = sum(1 for t in trainees if t.status == HIRED)
            convention.hires_actual = hires
            convention.commitment_outcome = domain.evaluate_commitment(_term(convention.hires_committed), hires)
            convention.evaluated_at = clock.now()
            out.events += internal(events.commitment_evaluated(pub, today))
    elif action in STATUS_EVENTS:
        out.events += internal(events.status_changed(pub, STATUS_EVENTS[action], today, reason))
    return out


def sign(
    uow: Session, actor: Actor, clock: Clock, source: str, convention_id: object, data: Data
) -> Outcome[Convention]:
    """Record one party's signature (who signed for it, when, who recorded it); the last one signs the
    convention, supersedes the version it amends and tells the agency of the job's region."""
    convention = get(uow, Convention, "convention", convention_id, lock=True)
    parties = {p.party: p for p in uow.scalars(select(Party).where(Party.convention_id == convention.id))}
    with rules():
        target = domain.sign(convention.status, parties, {k for k, p in parties.items() if p.signed_at}, data["party"])
    previous = uow.get(Convention, convention.previous_id) if convention.previous_id else None
    if target == SIGNED and previous is not None and previous.status not in domain.AMENDABLE:
        raise ValidationFailed({"status": [f"the version this amends is {previous.status}"]})
    party = parties[data["party"]]
    party.signed_at, party.recorded_by = clock.now(), actor.sub
    party.signer_name, party.signer_function = data["signer_name"], data["signer_function"]
    _log(uow, clock, convention, actor, target, party=data["party"])
    out = Outcome(convention)
    if target == SIGNED:
        if previous is not None:
            after = domain.after_amendment(previous.status)
            _log(uow, clock, previous, actor, SUPERSEDED, reason="amended")
            if after != SIGNED:
                _log(uow, clock, convention, actor, after, reason="amendment")
        pub = _publisher(uow, source, convention)
        out.events += internal(events.signed(pub, clock.today()))
        # The job's place is a term of the employer convention, which a training convention follows.
        employer = convention if convention.kind == EMPLOYER else in_force(uow, convention.project_id, EMPLOYER)
        workplace = employer.workplace_municipality if employer else None
        out.events += events.signed_for_agencies(pub, clock.today(), workplace)
    return out


# -- confirmation internships and trainees -----------------------------------
def record_internship(
    uow: Session, actor: Actor, clock: Clock, source: str, project_id: object, data: Data
) -> Outcome[Internship]:
    """A confirmation internship and its outcome (confirmed or reoriented), once per person and project."""
    project = get(uow, Project, "project", project_id)
    training = in_force(uow, project.id, TRAINING) or versions(uow, project.id, TRAINING)[-1]
    with rules():
        domain.check_internship(data["start_date"], data["end_date"], training.end_date)
    existing = uow.scalar(
        select(Internship.id).where(
            Internship.project_id == project.id, Internship.beneficiary_id == data["beneficiary_id"]
        )
    )
    if existing:
        raise Conflict("this person's confirmation internship is already recorded in this project", existing)
    internship = Internship(
        id=str(uuid.uuid4()), project_id=project.id, recorded_at=clock.now(), recorded_by=actor.sub, **data
    )
    uow.add(internship)
    uow.flush()
    return Outcome(internship)


def enrol(uow: Session, actor: Actor, clock: Clock, source: str, project_id: object, data: Data) -> Outcome[Trainee]:
    """Enrol a person whose confirmation internship confirmed, within the places and the schedule."""
    project = get(uow, Project, "project", project_id, lock=True)
    _require_active(uow, project.id, EMPLOYER, "enrol")
    training = _require_active(uow, project.id, TRAINING, "enrol")
    existing = uow.scalar(
        select(Trainee.id).where(Trainee.project_id == project.id, Trainee.beneficiary_id == data["beneficiary_id"])
    )
    if existing:
        raise Conflict("this person is already enrolled in this project", existing)
    internship = uow.scalar(
        select(Internship).where(
            Internship.project_id == project.id, Internship.beneficiary_id == data["beneficiary_id"]
        )
    )
    with rules():
        domain.check_enrolment(
            internship_outcome=internship.outcome if internship else None,
            internship_end=internship.end_date if internship else None,
            enrolled=_places_taken(uow, project.id),
            planned=_term(training.trainees_planned),
            start=data["start_date"],
            planned_end=data["planned_end"],
            schedule=_schedule(training),
        )
    trainee = Trainee(
        id=str(uuid.uuid4()),
        project_id=project.id,
        beneficiary_id=data["beneficiary_id"],
        internship_id=_term(internship).id,  # check_enrolment refused a person without one
        status=IN_TRAINING,
        start_date=data["start_date"],
        planned_end=data["planned_end"],
        tutor_name=data["tutor"]["name"],
        tutor_function=data["tutor"]["function"],
        enrolled_at=clock.now(),
    )
    uow.add(trainee)
    uow.flush()
    uow.add(
        TraineeTransition(
            trainee_id=trainee.id,
            from_status=None,
            to_status=IN_TRAINING,
            on=trainee.start_date,
            at=clock.now(),
            by=actor.sub,
            role=_role(actor),
        )
    )
    pub = _publisher(uow, source, training)
    return Outcome(trainee, internal(events.trainee(pub, events.TRAINEE_ENROLLED, trainee, trainee.start_date)))


def trainee_move(
    uow: Session, actor: Actor, clock: Clock, source: str, trainee_id: object, action: str, data: Data
) -> Outcome[Trainee]:
    """A trainee drops out, completes, is hired or not (``domain.TRAINEE_MOVES``) on ``data["on"]``."""
    trainee = get(uow, Trainee, "trainee", trainee_id, lock=True)
    if action in ("drop_out", "complete"):
        convention = _require_active(uow, trainee.project_id, TRAINING, action.replace("_", " "))
        start, until = trainee.start_date, _term(convention.end_date)
    else:
        convention = _require_active(uow, trainee.project_id, EMPLOYER, "record a hiring outcome")
        start, until = trainee.completed_on or trainee.start_date, clock.today()
    with rules():
        target = domain.trainee_move(trainee.status, action, data["on"], start=start, until=until)
    reason = data.get("reason")
    _log_trainee(uow, clock, trainee, actor, target, data["on"], reason)
    extra = {}
    if action == "complete":
        trainee.completed_on = data["on"]
        type_ = events.TRAINEE_COMPLETED
    elif action == "hire":
        trainee.hired_on, trainee.contract_type = data["on"], data["contract_type"]
        type_, extra = events.TRAINEE_HIRED, {"contract_type": data["contract_type"]}
    else:
        trainee.outcome_reason = reason
        type_ = events.TRAINEE_DROPPED_OUT if action == "drop_out" else events.TRAINEE_NOT_HIRED
        extra = {"reason": reason}
    pub = _publisher(uow, source, convention)
    return Outcome(trainee, internal(events.trainee(pub, type_, trainee, data["on"], **extra)))


# -- committees ------------------------------------------------------------
def hold_committee(
    uow: Session, actor: Actor, clock: Clock, source: str, project_id: object, data: Data
) -> Outcome[tuple[Committee, list[str]]]:
    """A follow-up (all signatories) or pedagogical (all trainers) committee and its decisions; the value is
    the committee and the expected parties who were absent."""
    project = get(uow, Project, "project", project_id)
    training = in_force(uow, project.id, TRAINING)
    employer = in_force(uow, project.id, EMPLOYER)
    if training is None or employer is None:
        raise ValidationFailed({"status": ["a committee meets under signed conventions"]})
    parties = {
        p for c in (employer, training) for p in uow.scalars(select(Party.party).where(Party.convention_id == c.id))
    }
    # The follow-up committee gathers every signatory; the pedagogical one every trainer, that is the
    # Mission (project lead), the operators and the company (its tutor): the same organisations.
    with rules():
        absent = domain.check_committee(data["held_on"], _schedule(training), data["attendees"], parties)
    published: list[Event] = []
    decisions = _apply_decisions(uow, actor, clock, source, project, training, data, published)
    committee = Committee(
        id=str(uuid.uuid4()),
        project_id=project.id,
        kind=data["kind"],
        held_on=data["held_on"],
        attendees=sorted(set(data["attendees"])),
        decisions=decisions,
        recorded_at=clock.now(),
        recorded_by=actor.sub,
        recorded_role=_role(actor),
    )
    uow.add(committee)
    uow.flush()
    return Outcome((committee, absent), internal(published))


def _apply_decisions(
    uow: Session,
    actor: Actor,
    clock: Clock,
    source: str,
    project: Project,
    training: Convention,
    data: Data,
    published: list[Event],
) -> list[Data]:
    errors, applied = {}, []
    for index, decision in enumerate(data["decisions"]):
        trainee = uow.get(Trainee, decision["trainee_id"])
        if trainee is None or trainee.project_id != project.id:
            errors[index] = {"trainee_id": ["not a trainee of this project"]}
            continue
        if trainee.status != IN_TRAINING:
            errors[index] = {"trainee_id": [f"the trainee is {trainee.status}, not in training"]}
            continue
        until = decision["until"]
        if until is not None and not trainee.start_date <= until <= training.end_date:
            errors[index] = {
                "until": [
                    f"is outside the convention's schedule (from the trainee's start to "
                    f"{_term(training.end_date).isoformat()}): amend the convention first"
                ]
            }
            continue
        kind = decision["kind"]
        if kind in ("extend_training", "adjust_schedule"):
            trainee.planned_end = until
        elif kind == "change_tutor":
            trainee.tutor_name, trainee.tutor_function = decision["tutor"]["name"], decision["tutor"]["function"]
        elif kind == "end_training":
            _log_trainee(uow, clock, trainee, actor, DROPPED_OUT, data["held_on"], decision["reason"])
            trainee.outcome_reason = decision["reason"]
            published += events.trainee(
                _publisher(uow, source, training),
                events.TRAINEE_DROPPED_OUT,
                trainee,
                data["held_on"],
                reason=decision["reason"],
            )
        applied.append(
            {
                "trainee_id": trainee.id,
                "kind": kind,
                "until": until.isoformat() if until else None,
                "reason": decision["reason"],
            }
        )
    if errors:
        raise ValidationFailed({"decisions": errors})
    return applied


# -- what other services said ------------------------------------------------
def forget_beneficiary(uow: Session, beneficiary_id: str) -> None:
    """Erasure: trainee and internship records keep their statuses (counts) and lose the link to the person."""
    uow.execute(update(Trainee).where(Trainee.beneficiary_id == beneficiary_id).values(beneficiary_id=None))
    uow.execute(update(Internship).where(Internship.beneficiary_id == beneficiary_id).values(beneficiary_id=None))


def move_beneficiary(uow: Session, merged: str, into: str) -> None:
    """A provisional file merged into the kept file: its trainee and internship records follow the kept file.

    Where the kept file already has a record in the same project (one per person and project), that one
    stands and the provisional file's loses its link, as on erasure: it keeps counting, linked to no one.
    """
    for model in (Trainee, Internship):
        held = select(model.project_id).where(model.beneficiary_id == into).scalar_subquery()
        uow.execute(
            update(model).where(model.beneficiary_id == merged, model.project_id.in_(held)).values(beneficiary_id=None)
        )
        uow.execute(update(model).where(model.beneficiary_id == merged).values(beneficiary_id=into))


def note_vacancy_status(uow: Session, vacancy_id: str, status: str) -> None:
    """Show the vacancy's last known status (the payload's ``status``) on the projects built on it."""
    uow.execute(update(Project).where(Project.vacancy_id == vacancy_id).values(vacancy_status=status[:20]))


def project_refs(payload: Data) -> list[Ref]:
    """The records of other services a new project names (checked by their owners, ``kit.references``)."""
    return [
        Ref("employer_id", "employer", payload["employer_id"]),
        Ref("vacancy_id", "vacancy", payload["vacancy_id"], of=payload["employer_id"], of_field="employer_id"),
    ]


def internship_refs(project_id: object, payload: Data) -> list[Ref]:
    return [
        Ref("beneficiary_id", "beneficiary", payload["beneficiary_id"]),
        Ref("host_employer_id", "employer", payload["host_employer_id"]),
    ]


def enrolment_refs(project_id: object, payload: Data) -> list[Ref]:
    return [Ref("beneficiary_id", "beneficiary", payload["beneficiary_id"])]


# -- answers -----------------------------------------------------------------
def convention_answer(uow: Session, convention: Convention, transitions: bool = False) -> Data:
    body = schemas.convention_out(convention)
    body["parties"] = schemas.PartyOutSchema(many=True).dump(
        uow.scalars(select(Party).where(Party.convention_id == convention.id).order_by(Party.id))
    )
    if transitions:
        body["transitions"] = schemas.ConventionTransitionOutSchema(many=True).dump(
            uow.scalars(
                select(ConventionTransition)
                .where(ConventionTransition.convention_id == convention.id)
                .order_by(ConventionTransition.id)
            )
        )
    return body


def project_answer(uow: Session, project: Project) -> Data:
    body = schemas.ProjectOutSchema().dump(project)
    body["conventions"] = {
        kind: [convention_answer(uow, c) for c in versions(uow, project.id, kind)] for kind in (EMPLOYER, TRAINING)
    }
    body["trainees"] = schemas.TraineeOutSchema(many=True).dump(
        uow.scalars(select(Trainee).where(Trainee.project_id == project.id).order_by(Trainee.enrolled_at, Trainee.id))
    )
    body["internships"] = schemas.InternshipOutSchema(many=True).dump(
        uow.scalars(
            select(Internship)
            .where(Internship.project_id == project.id)
            .order_by(Internship.recorded_at, Internship.id)
        )
    )
    body["committees"] = schemas.CommitteeOutSchema(many=True).dump(
        uow.scalars(
            select(Committee).where(Committee.project_id == project.id).order_by(Committee.held_on, Committee.id)
        )
    )
    return body


def trainee_answer(uow: Session, trainee: Trainee) -> Data:
    return schemas.TraineeOutSchema().dump(trainee)


def internship_answer(uow: Session, internship: Internship) -> Data:
    return schemas.InternshipOutSchema().dump(internship)


def committee_answer(uow: Session, held: tuple[Committee, list[str]]) -> Data:
    committee, absent = held
    return {**schemas.CommitteeOutSchema().dump(committee), "absent": absent}


# -- reads -------------------------------------------------------------------
def read_project(uow: Session, project_id: object) -> Data:
    return project_answer(uow, get(uow, Project, "project", project_id))


def read_convention(uow: Session, convention_id: object) -> Data:
    return convention_answer(uow, get(uow, Convention, "convention", convention_id), transitions=True)


def read_trainee(uow: Session, trainee_id: object) -> Data:
    trainee = get(uow, Trainee, "trainee", trainee_id)
    body = schemas.TraineeOutSchema().dump(trainee)
    body["transitions"] = schemas.TraineeTransitionOutSchema(many=True).dump(
        uow.scalars(
            select(TraineeTransition).where(TraineeTransition.trainee_id == trainee.id).order_by(TraineeTransition.id)
        )
    )
    return body


def list_projects(uow: Session, employer_id: object, page: object, page_size: object) -> Data:
    offset, limit = inputs.page_window(page, page_size)
    query = select(Project)
    if employer_id is not None:
        query = query.where(Project.employer_id == ref(employer_id, "employer_id"))
    total = uow.scalar(select(func.count()).select_from(query.subquery()))
    rows = uow.scalars(query.order_by(Project.created_at.desc(), Project.id).offset(offset).limit(limit))
    return {
        "items": schemas.ProjectOutSchema(many=True).dump(rows),
        "page": page,
        "page_size": page_size,
        "total": total,
    }


def _commitment(uow: Session, convention: Convention) -> Data:
    hires = uow.scalar(
        select(func.count())
        .select_from(Trainee)
        .where(Trainee.project_id == convention.project_id, Trainee.status == HIRED)
    )
    return {
        "convention_id": convention.id,
        "project_id": convention.project_id,
        "version": convention.version,
        "status": convention.status,
        "hires_committed": convention.hires_committed,
        "hires_so_far": hires,
        "hires_actual": convention.hires_actual,
        "outcome": convention.commitment_outcome,
        "evaluated_at": convention.evaluated_at.isoformat() if convention.evaluated_at else None,
    }


def convention_commitment(uow: Session, convention_id: object) -> Data:
    """The employer's commitment against hires: so far, and as evaluated at completion."""
    convention = get(uow, Convention, "convention", convention_id)
    if convention.kind != EMPLOYER:
        raise ValidationFailed({"convention_id": ["only a Mission–employer convention holds a commitment"]})
    return _commitment(uow, convention)


def employer_commitments(uow: Session, employer_id: object, page: object, page_size: object) -> Data:
    """Every commitment of one employer (the version in force of each project) and the totals."""
    employer_id = ref(employer_id, "employer_id")
    offset, limit = inputs.page_window(page, page_size)
    projects = uow.scalars(
        select(Project).where(Project.employer_id == employer_id).order_by(Project.created_at, Project.id)
    ).all()
    items = []
    for project in projects:
        convention = in_force(uow, project.id, EMPLOYER)
        if convention is not None:
            items.append(_commitment(uow, convention))
    outcomes = Counter(i["outcome"] for i in items if i["outcome"])
    return {
        "employer_id": employer_id,
        "items": items[offset : offset + limit],
        "page": page,
        "page_size": page_size,
        "total": len(items),
        "hires_committed": sum(i["hires_committed"] for i in items),
        "hires": sum(i["hires_so_far"] for i in items),
        "outcomes": dict(sorted(outcomes.items())),
    }
