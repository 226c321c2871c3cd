"""Convention service entrypoints: authorise, load through a schema, apply the rules, dump.

A training project links a Mission–employer convention (the vacancy, the
hiring commitment, the contract offered) and a Mission–training operator(s)
convention (profile, specification, hours, schedule, places). Each goes
through the signature workflow of ``convention.domain``; every move is
logged with who, role, when and why, and commits with its events
(``kit.outbox``). Beneficiaries are held by reference only, and forgotten on
erasure.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import date

from nameko.rpc import rpc
from sqlalchemy import delete, func, select, update
from stdnum.be import vat

from convention import domain, events, schemas
from convention.enums import (
    ACTIVE,
    CANCEL_REASONS,
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
    TERMINATE_REASONS,
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
from kit import agency_outbox as agency_events
from kit import inputs, outbox
from kit.actor import Caller
from kit.consumer import event_handler
from kit.errors import Conflict, NotFound, ValidationFailed
from kit.references import CHECK_TIMEOUT, Ref, check, rpc_lookup
from kit.rpc import TimedRpcProxy
from kit.service import ServiceBase

log = logging.getLogger(__name__)
ERASED = "be.mire.beneficiary.erased.v1"
VACANCY_CLOSED = "be.mire.employer.vacancy_closed.v1"
VACANCY_FILLED = "be.mire.employer.vacancy_filled.v1"
STATUS_EVENTS = {"activate": events.ACTIVATED, "cancel": events.CANCELLED, "terminate": events.TERMINATED}


@contextmanager
def _rules():
    """The domain's refusals, as the field-level errors every client understands."""
    try:
        yield
    except domain.RuleBroken as exc:
        raise ValidationFailed(exc.errors) from None


def _ref(value, field: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 36:
        raise ValidationFailed({field: ["a reference of 1 to 36 characters is expected"]})
    return value


def _role(actor) -> str:
    return ",".join(actor.roles)[:100]


def _parties(kind: str, operators=()) -> list[Party]:
    if kind == EMPLOYER:
        return [Party(party=MISSION_PARTY), Party(party=EMPLOYER_PARTY)]
    rows = [Party(party=MISSION_PARTY)]
    for operator in operators:
        number = vat.compact(operator["enterprise_number"])[-10:]
        rows.append(Party(party=OPERATOR_PREFIX + number, name=operator["name"], enterprise_number=number))
    return rows


class ConventionService(ServiceBase):
    name = "convention"
    caller = Caller()
    beneficiary = TimedRpcProxy("beneficiary", timeout=CHECK_TIMEOUT)
    employer = TimedRpcProxy("employer", timeout=CHECK_TIMEOUT)

    def _check(self, *refs: Ref) -> None:
        """Refuse (422, by field) a reference to a person, employer or vacancy this Mission does not hold."""
        check(refs, rpc_lookup({"beneficiary": self.beneficiary, "employer": self.employer}))

    # -- lookups -----------------------------------------------------------
    @staticmethod
    def _get(session, model, what: str, ref, lock: bool = False):
        # ``lock``: on PostgreSQL, concurrent signatures or enrolments on one convention queue up behind each
        # other instead of both counting the same state (SQLite writers are serialised already).
        row = session.get(model, ref, with_for_update=lock) if isinstance(ref, str) and len(ref) <= 36 else None
        if row is None:
            raise NotFound(what, str(ref)[:64])
        return row

    @staticmethod
    def _versions(session, project_id: str, kind: str) -> list[Convention]:
        return list(
            session.scalars(
                select(Convention)
                .where(Convention.project_id == project_id, Convention.kind == kind)
                .order_by(Convention.version)
            )
        )

    def _in_force(self, session, project_id: str, kind: str) -> Convention | None:
        """The latest signed version of a kind that no amendment replaced (None before any signature)."""
        signed = [c for c in self._versions(session, project_id, kind) if c.status in IN_FORCE]
        return signed[-1] if signed else None

    def _require_active(self, session, project_id: str, kind: str, doing: str) -> Convention:
        convention = self._in_force(session, project_id, kind)
        if convention is None or convention.status != ACTIVE:
            status = convention.status if convention else "not signed"
            raise ValidationFailed({"status": [f"cannot {doing}: the {kind} convention is {status}, not active"]})
        return convention

    @staticmethod
    def _log(session, convention, actor, to_status, reason=None, party=None):
        session.add(
            ConventionTransition(
                convention_id=convention.id,
                from_status=convention.status,
                to_status=to_status,
                reason=reason,
                party=party,
                at=inputs.now(),
                by=actor.sub,
                role=_role(actor),
            )
        )
        convention.status = to_status

    @staticmethod
    def _log_trainee(session, trainee, actor, to_status, on, reason=None):
        session.add(
            TraineeTransition(
                trainee_id=trainee.id,
                from_status=trainee.status,
                to_status=to_status,
                reason=reason,
                on=on,
                at=inputs.now(),
                by=actor.sub,
                role=_role(actor),
            )
        )
        trainee.status = to_status

    def _publisher(self, session, convention) -> events.EventBuilder:
        return events.EventBuilder(self.site.source, session.get(Project, convention.project_id), convention)

    @staticmethod
    def _emit(session, built):
        for event in built:
            outbox.add(session, event)

    @staticmethod
    def _places_taken(session, project_id: str) -> int:
        # A trainee who dropped out frees the place; every other enrolment holds one.
        return session.scalar(
            select(func.count())
            .select_from(Trainee)
            .where(Trainee.project_id == project_id, Trainee.status != DROPPED_OUT)
        )

    # -- bodies ------------------------------------------------------------
    @staticmethod
    def _convention_body(session, convention, transitions: bool = False) -> dict:
        body = schemas.convention_out(convention)
        body["parties"] = schemas.PartyOutSchema(many=True).dump(
            session.scalars(select(Party).where(Party.convention_id == convention.id).order_by(Party.id))
        )
        if transitions:
            body["transitions"] = [
                {
                    "from": t.from_status,
                    "to": t.to_status,
                    "reason": t.reason,
                    "party": t.party,
                    "at": t.at.isoformat(),
                    "by": t.by,
                    "role": t.role,
                }
                for t in session.scalars(
                    select(ConventionTransition)
                    .where(ConventionTransition.convention_id == convention.id)
                    .order_by(ConventionTransition.id)
                )
            ]
        return body

    def _project_body(self, session, project) -> dict:
        body = schemas.ProjectOutSchema().dump(project)
        body["conventions"] = {
            kind: [self._convention_body(session, c) for c in self._versions(session, project.id, kind)]
            for kind in (EMPLOYER, TRAINING)
        }
        body["trainees"] = schemas.TraineeOutSchema(many=True).dump(
            session.scalars(
                select(Trainee).where(Trainee.project_id == project.id).order_by(Trainee.enrolled_at, Trainee.id)
            )
        )
        body["internships"] = schemas.InternshipOutSchema(many=True).dump(
            session.scalars(
                select(Internship)
                .where(Internship.project_id == project.id)
                .order_by(Internship.recorded_at, Internship.id)
            )
        )
        body["committees"] = schemas.CommitteeOutSchema(many=True).dump(
            session.scalars(
                select(Committee).where(Committee.project_id == project.id).order_by(Committee.held_on, Committee.id)
            )
        )
        return body

    # -- projects and conventions -------------------------------------------
    @rpc
    def create_project(self, payload):
        """A training project with its two conventions, both drafts, in one transaction."""
        actor = self.caller.authorize("convention.write")
        data = inputs.load(schemas.ProjectSchema(), payload)
        self._check(
            Ref("employer_id", "employer", data["employer_id"]),
            Ref("vacancy_id", "vacancy", data["vacancy_id"], of=data["employer_id"], of_field="employer_id"),
        )
        with self.db.transaction() as session:
            project = Project(
                id=str(uuid.uuid4()),
                title=data["title"],
                vacancy_id=data["vacancy_id"],
                employer_id=data["employer_id"],
                created_at=inputs.now(),
                created_by=actor.sub,
            )
            session.add(project)
            session.flush()
            training = dict(data["training_convention"])
            operators = training.pop("operators")
            for kind, terms, parties in (
                (EMPLOYER, data["employer_convention"], _parties(EMPLOYER)),
                (TRAINING, training, _parties(TRAINING, operators)),
            ):
                self._new_version(session, actor, project, kind, 1, None, terms, parties)
            session.flush()
            return self._project_body(session, project)

    def _new_version(self, session, actor, project, kind, version, previous_id, terms, parties, reason=None):
        convention = Convention(
            id=str(uuid.uuid4()),
            project_id=project.id,
            kind=kind,
            version=version,
            previous_id=previous_id,
            status=DRAFT,
            created_at=inputs.now(),
            created_by=actor.sub,
            **terms,
        )
        session.add(convention)
        session.flush()
        for party in parties:
            party.convention_id = convention.id
            session.add(party)
        session.add(
            ConventionTransition(
                convention_id=convention.id,
                from_status=None,
                to_status=DRAFT,
                reason=reason,
                at=inputs.now(),
                by=actor.sub,
                role=_role(actor),
            )
        )
        return convention

    @rpc
    def update_convention(self, convention_id, changes):
        """Change a draft's terms (a signed convention changes only by amendment)."""
        actor = self.caller.authorize("convention.write")
        with self.db.transaction() as session:
            convention = self._get(session, Convention, "convention", convention_id)
            data = inputs.load(schemas.terms_schema(convention.kind, partial=True), changes)
            if convention.status != DRAFT:
                raise ValidationFailed({"status": [f"a {convention.status} convention changes only by amendment"]})
            self._apply_terms(session, convention, data)
            self._log(session, convention, actor, DRAFT, reason="terms_changed")
            return self._convention_body(session, convention)

    def _apply_terms(self, session, convention, data):
        operators = data.pop("operators", None)
        for key, value in data.items():
            setattr(convention, key, value)
        if convention.kind == TRAINING:
            with _rules():
                domain.check_schedule(convention.start_date, convention.end_date)
        if operators is not None:
            session.execute(delete(Party).where(Party.convention_id == convention.id, Party.party != MISSION_PARTY))
            for party in _parties(TRAINING, operators)[1:]:
                party.convention_id = convention.id
                session.add(party)

    @rpc
    def amend(self, convention_id, changes):
        """A new version of a signed or active convention, as a draft; the old one stays in force until the
        new one is signed, and is then kept as superseded."""
        actor = self.caller.authorize("convention.write")
        with self.db.transaction() as session:
            old = self._get(session, Convention, "convention", convention_id)
            data = inputs.load(schemas.terms_schema(old.kind, partial=True), changes)
            if not data:
                raise ValidationFailed({"changes": ["an amendment changes at least one term"]})
            latest = self._versions(session, old.project_id, old.kind)[-1]
            with _rules():
                domain.check_amendable(old.status, latest.id == old.id)
            own = schemas.EMPLOYER_FIELDS if old.kind == EMPLOYER else schemas.TRAINING_FIELDS
            terms = {key: getattr(old, key) for key in own}
            parties = [
                Party(party=p.party, name=p.name, enterprise_number=p.enterprise_number)
                for p in session.scalars(select(Party).where(Party.convention_id == old.id).order_by(Party.id))
            ]
            project = session.get(Project, old.project_id)
            new = self._new_version(
                session, actor, project, old.kind, old.version + 1, old.id, terms, parties, reason="amendment"
            )
            self._apply_terms(session, new, data)
            if new.kind == TRAINING:
                trainees = session.scalars(
                    select(Trainee).where(Trainee.project_id == project.id, Trainee.status == IN_TRAINING)
                ).all()
                with _rules():
                    domain.check_plan_change(
                        new.trainees_planned,
                        self._places_taken(session, project.id),
                        (new.start_date, new.end_date),
                        [(t.start_date, t.planned_end) for t in trainees],
                    )
            return self._convention_body(session, new)

    @rpc
    def submit(self, convention_id):
        """Draft → ready to sign."""
        return self._move(convention_id, "submit")

    @rpc
    def activate(self, convention_id):
        """Signed → active: the training runs under it."""
        return self._move(convention_id, "activate")

    @rpc
    def complete(self, convention_id):
        """Active → completed; completing the employer convention evaluates the hiring commitment."""
        return self._move(convention_id, "complete")

    @rpc
    def cancel(self, convention_id, reason):
        """A convention not yet signed by everyone is cancelled, with a reason."""
        if reason not in CANCEL_REASONS:
            raise ValidationFailed({"reason": [f"one of {', '.join(CANCEL_REASONS)}"]})
        return self._move(convention_id, "cancel", reason)

    @rpc
    def terminate(self, convention_id, reason):
        """A signed or active convention ends early, with a reason."""
        if reason not in TERMINATE_REASONS:
            raise ValidationFailed({"reason": [f"one of {', '.join(TERMINATE_REASONS)}"]})
        return self._move(convention_id, "terminate", reason)

    def _move(self, convention_id, action, reason=None):
        actor = self.caller.authorize("convention.write")
        today = date.today()
        with self.db.transaction() as session:
            convention = self._get(session, Convention, "convention", convention_id, lock=True)
            project = session.get(Project, convention.project_id)
            with _rules():
                target = domain.move(convention.status, action)
                if action == "submit":
                    domain.check_vacancy(project.vacancy_status)
            trainees = session.scalars(select(Trainee).where(Trainee.project_id == convention.project_id)).all()
            if action == "complete":
                with _rules():
                    domain.check_completion(convention.kind, [t.status for t in trainees])
            if action == "activate" and convention.kind == TRAINING:
                # The employer's commitment comes first (DOMAIN.md, steps 2 then 3).
                employer = self._in_force(session, convention.project_id, EMPLOYER)
                if employer is None or employer.status not in (SIGNED, ACTIVE):
                    raise ValidationFailed({"status": ["the employer convention must be signed first"]})
            self._log(session, convention, actor, target, reason)
            convention.status_reason = reason
            pub = self._publisher(session, convention)
            if action == "complete":
                counts = dict(sorted(Counter(t.status for t in trainees).items()))
                self._emit(session, events.completed(pub, today, counts))
                if convention.kind == EMPLOYER:
                    hires = sum(1 for t in trainees if t.status == HIRED)
                    convention.hires_actual = hires
                    convention.commitment_outcome = domain.evaluate_commitment(convention.hires_committed, hires)
                    convention.evaluated_at = inputs.now()
                    self._emit(session, events.commitment_evaluated(pub, today))
            elif action in STATUS_EVENTS:
                self._emit(session, events.status_changed(pub, STATUS_EVENTS[action], today, reason))
            return self._convention_body(session, convention)

    @rpc
    def sign(self, convention_id, payload):
        """Record one party's signature (who signed for it, when, who recorded it)."""
        actor = self.caller.authorize("convention.sign")
        data = inputs.load(schemas.SignatureSchema(), payload)
        with self.db.transaction() as session:
            convention = self._get(session, Convention, "convention", convention_id, lock=True)
            parties = {p.party: p for p in session.scalars(select(Party).where(Party.convention_id == convention.id))}
            with _rules():
                target = domain.sign(
                    convention.status, parties, {k for k, p in parties.items() if p.signed_at}, data["party"]
                )
            previous = session.get(Convention, convention.previous_id) if convention.previous_id else None
            if target == SIGNED and previous is not None and previous.status not in domain.AMENDABLE:
                raise ValidationFailed({"status": [f"the version this amends is {previous.status}"]})
            party = parties[data["party"]]
            party.signed_at, party.recorded_by = inputs.now(), actor.sub
            party.signer_name, party.signer_function = data["signer_name"], data["signer_function"]
            self._log(session, convention, actor, target, party=data["party"])
            if target == SIGNED:
                if previous is not None:
                    in_force = domain.after_amendment(previous.status)
                    self._log(session, previous, actor, SUPERSEDED, reason="amended")
                    if in_force != SIGNED:
                        self._log(session, convention, actor, in_force, reason="amendment")
                pub = self._publisher(session, convention)
                self._emit(session, events.signed(pub, date.today()))
                # The job's place is a term of the employer convention, which a training convention follows.
                employer = (
                    convention
                    if convention.kind == EMPLOYER
                    else self._in_force(session, convention.project_id, EMPLOYER)
                )
                workplace = employer.workplace_municipality if employer else None
                for event, agency in events.signed_for_agencies(pub, date.today(), workplace):
                    outbox.add(session, event, to=agency)
            return self._convention_body(session, convention)

    # -- confirmation internships and trainees -------------------------------
    @rpc
    def record_internship(self, project_id, payload):
        """A confirmation internship and its outcome (confirmed or reoriented)."""
        actor = self.caller.authorize("convention.enrol")
        data = inputs.load(schemas.InternshipSchema(), payload)
        self._check(
            Ref("beneficiary_id", "beneficiary", data["beneficiary_id"]),
            Ref("host_employer_id", "employer", data["host_employer_id"]),
        )
        with self.db.transaction() as session:
            project = self._get(session, Project, "project", project_id)
            training = (
                self._in_force(session, project.id, TRAINING) or self._versions(session, project.id, TRAINING)[-1]
            )
            with _rules():
                domain.check_internship(data["start_date"], data["end_date"], training.end_date)
            existing = session.scalar(
                select(Internship.id).where(
                    Internship.project_id == project.id, Internship.beneficiary_id == data["beneficiary_id"]
                )
            )
            if existing:
                raise Conflict("this person's confirmation internship is already recorded in this project", existing)
            internship = Internship(
                id=str(uuid.uuid4()), project_id=project.id, recorded_at=inputs.now(), recorded_by=actor.sub, **data
            )
            session.add(internship)
            session.flush()
            return schemas.InternshipOutSchema().dump(internship)

    @rpc
    def enrol(self, project_id, payload):
        """Enrol a person whose confirmation internship confirmed, within the places and the schedule."""
        actor = self.caller.authorize("convention.enrol")
        data = inputs.load(schemas.EnrolmentSchema(), payload)
        self._check(Ref("beneficiary_id", "beneficiary", data["beneficiary_id"]))
        with self.db.transaction() as session:
            project = self._get(session, Project, "project", project_id, lock=True)
            self._require_active(session, project.id, EMPLOYER, "enrol")
            training = self._require_active(session, project.id, TRAINING, "enrol")
            existing = session.scalar(
                select(Trainee.id).where(
                    Trainee.project_id == project.id, Trainee.beneficiary_id == data["beneficiary_id"]
                )
            )
            if existing:
                raise Conflict("this person is already enrolled in this project", existing)
            internship = session.scalar(
                select(Internship).where(
                    Internship.project_id == project.id, Internship.beneficiary_id == data["beneficiary_id"]
                )
            )
            with _rules():
                domain.check_enrolment(
                    internship_outcome=internship.outcome if internship else None,
                    internship_end=internship.end_date if internship else None,
                    enrolled=self._places_taken(session, project.id),
                    planned=training.trainees_planned,
                    start=data["start_date"],
                    planned_end=data["planned_end"],
                    schedule=(training.start_date, training.end_date),
                )
            trainee = Trainee(
                id=str(uuid.uuid4()),
                project_id=project.id,
                beneficiary_id=data["beneficiary_id"],
                internship_id=internship.id,
                status=IN_TRAINING,
                start_date=data["start_date"],
                planned_end=data["planned_end"],
                tutor_name=data["tutor"]["name"],
                tutor_function=data["tutor"]["function"],
                enrolled_at=inputs.now(),
            )
            session.add(trainee)
            session.flush()
            session.add(
                TraineeTransition(
                    trainee_id=trainee.id,
                    from_status=None,
                    to_status=IN_TRAINING,
                    on=trainee.start_date,
                    at=inputs.now(),
                    by=actor.sub,
                    role=_role(actor),
                )
            )
            self._emit(
                session,
                events.trainee(
                    self._publisher(session, training), events.TRAINEE_ENROLLED, trainee, trainee.start_date
                ),
            )
            return schemas.TraineeOutSchema().dump(trainee)

    @rpc
    def drop_out(self, trainee_id, payload):
        """A trainee leaves the training, with a reason code."""
        return self._trainee_move(trainee_id, "drop_out", schemas.DropOutSchema(), payload)

    @rpc
    def complete_trainee(self, trainee_id, payload):
        return self._trainee_move(trainee_id, "complete", schemas.TraineeCompletionSchema(), payload)

    @rpc
    def record_hire(self, trainee_id, payload):
        """The trainee is hired by the employer of the convention (first contract: date and type)."""
        return self._trainee_move(trainee_id, "hire", schemas.HireSchema(), payload)

    @rpc
    def record_not_hired(self, trainee_id, payload):
        return self._trainee_move(trainee_id, "not_hired", schemas.NotHiredSchema(), payload)

    def _trainee_move(self, trainee_id, action, schema, payload):
        actor = self.caller.authorize("convention.enrol")
        data = inputs.load(schema, payload)
        with self.db.transaction() as session:
            trainee = self._get(session, Trainee, "trainee", trainee_id, lock=True)
            if action in ("drop_out", "complete"):
                convention = self._require_active(session, trainee.project_id, TRAINING, action.replace("_", " "))
                start, until = trainee.start_date, convention.end_date
            else:
                convention = self._require_active(session, trainee.project_id, EMPLOYER, "record a hiring outcome")
                start, until = trainee.completed_on or trainee.start_date, date.today()
            with _rules():
                target = domain.trainee_move(trainee.status, action, data["on"], start=start, until=until)
            reason = data.get("reason")
            self._log_trainee(session, trainee, actor, target, data["on"], reason)
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
            self._emit(
                session, events.trainee(self._publisher(session, convention), type_, trainee, data["on"], **extra)
            )
            return schemas.TraineeOutSchema().dump(trainee)

    @rpc
    def get_trainee(self, trainee_id):
        self.caller.authorize("convention.read")
        with self.db.session() as session:
            trainee = self._get(session, Trainee, "trainee", trainee_id)
            body = schemas.TraineeOutSchema().dump(trainee)
            body["transitions"] = [
                {
                    "from": t.from_status,
                    "to": t.to_status,
                    "reason": t.reason,
                    "on": t.on.isoformat(),
                    "at": t.at.isoformat(),
                    "by": t.by,
                    "role": t.role,
                }
                for t in session.scalars(
                    select(TraineeTransition)
                    .where(TraineeTransition.trainee_id == trainee.id)
                    .order_by(TraineeTransition.id)
                )
            ]
            return body

    # -- committees --------------------------------------------------------
    @rpc
    def hold_committee(self, project_id, payload):
        """A follow-up (all signatories) or pedagogical (all trainers) committee and its decisions."""
        actor = self.caller.authorize("convention.committee")
        data = inputs.load(schemas.CommitteeSchema(), payload)
        with self.db.transaction() as session:
            project = self._get(session, Project, "project", project_id)
            training = self._in_force(session, project.id, TRAINING)
            employer = self._in_force(session, project.id, EMPLOYER)
            if training is None or employer is None:
                raise ValidationFailed({"status": ["a committee meets under signed conventions"]})
            parties = {
                p
                for c in (employer, training)
                for p in session.scalars(select(Party.party).where(Party.convention_id == c.id))
            }
            # The follow-up committee gathers every signatory; the pedagogical one every trainer, that is the
            # Mission (project lead), the operators and the company (its tutor): the same organisations.
            with _rules():
                absent = domain.check_committee(
                    data["held_on"], (training.start_date, training.end_date), data["attendees"], parties
                )
            decisions = self._apply_decisions(session, actor, project, training, data)
            committee = Committee(
                id=str(uuid.uuid4()),
                project_id=project.id,
                kind=data["kind"],
                held_on=data["held_on"],
                attendees=sorted(set(data["attendees"])),
                decisions=decisions,
                recorded_at=inputs.now(),
                recorded_by=actor.sub,
                recorded_role=_role(actor),
            )
            session.add(committee)
            session.flush()
            return {**schemas.CommitteeOutSchema().dump(committee), "absent": absent}

    def _apply_decisions(self, session, actor, project, training, data) -> list[dict]:
        errors, applied = {}, []
        for index, decision in enumerate(data["decisions"]):
            trainee = session.get(Trainee, decision["trainee_id"])
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
                        f"{training.end_date.isoformat()}): amend the convention first"
                    ]
                }
                continue
            kind = decision["kind"]
            if kind in ("extend_training", "adjust_schedule"):
                trainee.planned_end = until
            elif kind == "change_tutor":
                trainee.tutor_name, trainee.tutor_function = decision["tutor"]["name"], decision["tutor"]["function"]
            elif kind == "end_training":
                self._log_trainee(session, trainee, actor, DROPPED_OUT, data["held_on"], decision["reason"])
                trainee.outcome_reason = decision["reason"]
                self._emit(
                    session,
                    events.trainee(
                        self._publisher(session, training),
                        events.TRAINEE_DROPPED_OUT,
                        trainee,
                        data["held_on"],
                        reason=decision["reason"],
                    ),
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

    # -- reads -------------------------------------------------------------
    @rpc
    def get_project(self, project_id):
        self.caller.authorize("convention.read")
        with self.db.session() as session:
            return self._project_body(session, self._get(session, Project, "project", project_id))

    @rpc
    def get_convention(self, convention_id):
        self.caller.authorize("convention.read")
        with self.db.session() as session:
            return self._convention_body(
                session, self._get(session, Convention, "convention", convention_id), transitions=True
            )

    @rpc
    def list_projects(self, employer_id=None, page=1, page_size=25):
        self.caller.authorize("convention.read")
        offset, limit = inputs.page_window(page, page_size)
        with self.db.session() as session:
            query = select(Project)
            if employer_id is not None:
                query = query.where(Project.employer_id == _ref(employer_id, "employer_id"))
            total = session.scalar(select(func.count()).select_from(query.subquery()))
            rows = session.scalars(query.order_by(Project.created_at.desc(), Project.id).offset(offset).limit(limit))
            return {
                "items": schemas.ProjectOutSchema(many=True).dump(rows),
                "page": page,
                "page_size": page_size,
                "total": total,
            }

    # -- the hiring commitment ---------------------------------------------
    def _commitment(self, session, convention) -> dict:
        hires = session.scalar(
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

    @rpc
    def convention_commitment(self, convention_id):
        """The employer's commitment against hires: so far, and as evaluated at completion."""
        self.caller.authorize("convention.read")
        with self.db.session() as session:
            convention = self._get(session, Convention, "convention", convention_id)
            if convention.kind != EMPLOYER:
                raise ValidationFailed({"convention_id": ["only a Mission–employer convention holds a commitment"]})
            return self._commitment(session, convention)

    @rpc
    def employer_commitments(self, employer_id, page=1, page_size=25):
        """Every commitment of one employer (the version in force of each project) and the totals."""
        self.caller.authorize("convention.read")
        employer_id = _ref(employer_id, "employer_id")
        offset, limit = inputs.page_window(page, page_size)
        with self.db.session() as session:
            projects = session.scalars(
                select(Project).where(Project.employer_id == employer_id).order_by(Project.created_at, Project.id)
            ).all()
            items = []
            for project in projects:
                convention = self._in_force(session, project.id, EMPLOYER)
                if convention is not None:
                    items.append(self._commitment(session, convention))
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

    # -- agencies ------------------------------------------------------------
    @rpc
    def replay_agency_events(self, agency, since):
        """Queue again the events ``agency`` was sent since ``since`` (ISO date), with their original ids.
        Returns ``{"agency", "since", "replayed"}``."""
        self.caller.authorize("convention.agency_replay")
        return agency_events.replay_request(self.db, agency, since)

    # -- events consumed ---------------------------------------------------
    @event_handler(ERASED)
    def on_beneficiary_erased(self, event):
        """Forget the person: trainee and internship records keep their statuses (counts), lose the link.

        Failure semantics: the kit's (retried, then dead-lettered); applied once through the inbox.
        """
        beneficiary_id = event.data.get("beneficiary_id")
        with self.db.once(event) as session:
            if session is None or not beneficiary_id:
                return
            session.execute(update(Trainee).where(Trainee.beneficiary_id == beneficiary_id).values(beneficiary_id=None))
            session.execute(
                update(Internship).where(Internship.beneficiary_id == beneficiary_id).values(beneficiary_id=None)
            )

    @event_handler(VACANCY_CLOSED)
    def on_vacancy_closed(self, event):
        self._vacancy_status(event)

    @event_handler(VACANCY_FILLED)
    def on_vacancy_filled(self, event):
        self._vacancy_status(event)

    def _vacancy_status(self, event):
        """Show the vacancy's last known status on the projects built on it."""
        vacancy_id, status = event.data.get("vacancy_id"), event.data.get("status")
        with self.db.once(event) as session:
            if session is None or not vacancy_id or not status:
                return
            session.execute(
                update(Project).where(Project.vacancy_id == vacancy_id).values(vacancy_status=str(status)[:20])
            )
