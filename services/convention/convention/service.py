"""Convention service entrypoints: authorise, load through a schema, run a use case, publish, dump.

A training project links a Mission–employer convention and a Mission–training operator(s) convention, each
through the signature workflow of ``convention.domain``. What each request does is in
``convention.application``; here a write opens the transaction, runs its use case and adds the events it
returns to the outbox (``kit.outbox``), so they commit with the change. Beneficiaries are held by reference
only, and forgotten on erasure.
"""

from __future__ import annotations

from nameko.timer import timer

from contracts import internal
from contracts.catalogue import load
from convention import application as app
from convention import queries, schemas
from convention.enums import CANCEL_REASONS, TERMINATE_REASONS
from kit import agency_outbox as agency_events
from kit import inputs, metrics
from kit.actor import Caller
from kit.application import SystemClock, to_outbox
from kit.consumer import event_handler
from kit.errors import ValidationFailed
from kit.references import CHECK_TIMEOUT, Ref, check, rpc_lookup
from kit.rpc import TimedRpcProxy, rpc
from kit.service import ServiceBase

ERASED = "be.mire.beneficiary.erased.v1"
VACANCY_CLOSED = "be.mire.employer.vacancy_closed.v1"
VACANCY_FILLED = "be.mire.employer.vacancy_filled.v1"
CLOCK = SystemClock()


class ConventionService(ServiceBase):
    name = "convention"
    caller = Caller()
    beneficiary = TimedRpcProxy("beneficiary", timeout=CHECK_TIMEOUT)
    employer = TimedRpcProxy("employer", timeout=CHECK_TIMEOUT)

    def _check(self, *refs: Ref) -> None:
        """Refuse (422, by field) a reference to a person, employer or vacancy this Mission does not hold."""
        check(refs, rpc_lookup({"beneficiary": self.beneficiary, "employer": self.employer}))

    def _write(self, actor, use_case, answer, *args):
        with self.db.transaction() as session:
            return answer(session, to_outbox(session, use_case(session, actor, CLOCK, self.site.source, *args)))

    def _read(self, read, *args):
        self.caller.authorize("convention.read")
        with self.db.session() as session:
            return read(session, *args)

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
        return self._write(actor, app.create_project, app.project_answer, data)

    @rpc
    def update_convention(self, convention_id, changes):
        actor = self.caller.authorize("convention.write")
        return self._write(actor, app.update_convention, app.convention_answer, convention_id, changes)

    @rpc
    def amend(self, convention_id, changes):
        actor = self.caller.authorize("convention.write")
        return self._write(actor, app.amend, app.convention_answer, convention_id, changes)

    @rpc
    def submit(self, convention_id):
        return self._move(convention_id, "submit")

    @rpc
    def activate(self, convention_id):
        return self._move(convention_id, "activate")

    @rpc
    def complete(self, convention_id):
        return self._move(convention_id, "complete")

    @rpc
    def cancel(self, convention_id, reason):
        if reason not in CANCEL_REASONS:
            raise ValidationFailed({"reason": [f"one of {', '.join(CANCEL_REASONS)}"]})
        return self._move(convention_id, "cancel", reason)

    @rpc
    def terminate(self, convention_id, reason):
        if reason not in TERMINATE_REASONS:
            raise ValidationFailed({"reason": [f"one of {', '.join(TERMINATE_REASONS)}"]})
        return self._move(convention_id, "terminate", reason)

    def _move(self, convention_id, action, reason=None):
        actor = self.caller.authorize("convention.write")
        return self._write(actor, app.move, app.convention_answer, convention_id, action, reason)

    @rpc
    def sign(self, convention_id, payload):
        actor = self.caller.authorize("convention.sign")
        data = inputs.load(schemas.SignatureSchema(), payload)
        return self._write(actor, app.sign, app.convention_answer, convention_id, data)

    # -- confirmation internships and trainees -------------------------------
    @rpc
    def record_internship(self, project_id, payload):
        actor = self.caller.authorize("convention.enrol")
        data = inputs.load(schemas.InternshipSchema(), payload)
        self._check(
            Ref("beneficiary_id", "beneficiary", data["beneficiary_id"]),
            Ref("host_employer_id", "employer", data["host_employer_id"]),
        )
        return self._write(actor, app.record_internship, app.internship_answer, project_id, data)

    @rpc
    def enrol(self, project_id, payload):
        actor = self.caller.authorize("convention.enrol")
        data = inputs.load(schemas.EnrolmentSchema(), payload)
        self._check(Ref("beneficiary_id", "beneficiary", data["beneficiary_id"]))
        return self._write(actor, app.enrol, app.trainee_answer, project_id, data)

    @rpc
    def drop_out(self, trainee_id, payload):
        return self._trainee_move(trainee_id, "drop_out", schemas.DropOutSchema(), payload)

    @rpc
    def complete_trainee(self, trainee_id, payload):
        return self._trainee_move(trainee_id, "complete", schemas.TraineeCompletionSchema(), payload)

    @rpc
    def record_hire(self, trainee_id, payload):
        return self._trainee_move(trainee_id, "hire", schemas.HireSchema(), payload)

    @rpc
    def record_not_hired(self, trainee_id, payload):
        return self._trainee_move(trainee_id, "not_hired", schemas.NotHiredSchema(), payload)

    def _trainee_move(self, trainee_id, action, schema, payload):
        actor = self.caller.authorize("convention.enrol")
        data = inputs.load(schema, payload)
        return self._write(actor, app.trainee_move, app.trainee_answer, trainee_id, action, data)

    @rpc
    def hold_committee(self, project_id, payload):
        actor = self.caller.authorize("convention.committee")
        data = inputs.load(schemas.CommitteeSchema(), payload)
        return self._write(actor, app.hold_committee, app.committee_answer, project_id, data)

    # -- reads -------------------------------------------------------------
    @rpc
    def get_trainee(self, trainee_id):
        return self._read(app.read_trainee, trainee_id)

    @rpc
    def get_project(self, project_id):
        return self._read(app.read_project, project_id)

    @rpc
    def get_convention(self, convention_id):
        return self._read(app.read_convention, convention_id)

    @rpc
    def list_projects(self, employer_id=None, page=1, page_size=25):
        return self._read(app.list_projects, employer_id, page, page_size)

    @rpc
    def convention_commitment(self, convention_id):
        return self._read(app.convention_commitment, convention_id)

    @rpc
    def employer_commitments(self, employer_id, page=1, page_size=25):
        return self._read(app.employer_commitments, employer_id, page, page_size)

    @rpc
    def replay_agency_events(self, agency, since):
        """Queue again the events ``agency`` was sent since ``since`` (ISO date), with their original ids.
        Returns ``{"agency", "since", "replayed"}``."""
        self.caller.authorize("convention.agency_replay")
        return agency_events.replay_request(self.db, agency, since)

    # -- events consumed (failure semantics: the kit's, retried then dead-lettered; applied once) ----------
    @event_handler(ERASED)
    def on_beneficiary_erased(self, event):
        data = load(event, internal.BeneficiaryErasedV1)
        with self.db.once(event) as session:
            if session is not None:
                app.forget_beneficiary(session, data.beneficiary_id)

    @event_handler(VACANCY_CLOSED)
    def on_vacancy_closed(self, event):
        self._vacancy_status(event)

    @event_handler(VACANCY_FILLED)
    def on_vacancy_filled(self, event):
        self._vacancy_status(event)

    def _vacancy_status(self, event):
        data = load(event, (internal.VacancyClosedV1, internal.VacancyFilledV1))
        with self.db.once(event) as session:
            if session is not None:
                app.note_vacancy_status(session, data.vacancy_id, data.status)

    # -- what is due (convention.queries) ----------------------------------
    @rpc
    def due(self, lead=None, horizon_days=queries.DEFAULT_HORIZON_DAYS):
        """Trainings ending and follow-up committees falling due by ``horizon_days`` ahead, overdue first: of
        the projects ``lead`` created, or of the whole Mission when None."""
        self.caller.authorize("convention.read")
        asked = inputs.load(queries.DueSchema(), {"lead": lead, "horizon_days": horizon_days})
        with self.db.session() as session:
            return queries.due(session, CLOCK.today(), asked["horizon_days"], asked["lead"])

    @timer(interval=metrics.DUE_INTERVAL, eager=True)
    def measure_due(self):
        """The Mission's due and overdue trainings ends and committees as metrics (``passerelle_due_items``)."""
        with self.db.session() as session:
            counts = queries.due_counts(session, CLOCK.today())
        for (kind, state), n in counts.items():
            metrics.DUE_ITEMS.labels(self.name, kind, state).set(n)
