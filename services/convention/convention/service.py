"""Convention service entrypoints: each RPC is its spec (``kit.entrypoint``) and the use case it calls.

A training project links a Mission–employer convention and a Mission–training operator(s) convention, each
through the signature workflow of ``convention.domain``. What each request does is in
``convention.application``; a write's events commit with its change (``kit.outbox``). Beneficiaries are held
by reference only, and forgotten on erasure.
"""

from __future__ import annotations

from nameko.timer import timer

from contracts import internal
from convention import access, queries, schemas
from convention import application as app
from convention.enums import CANCEL_REASONS, TERMINATE_REASONS
from kit import agency_outbox as agency_events
from kit import metrics
from kit.actor import Caller
from kit.consumer import event_handler
from kit.entrypoint import entrypoint, once
from kit.inputs import one_of
from kit.references import CHECK_TIMEOUT
from kit.retention import apply_to_messages
from kit.rpc import TimedRpcProxy, rpc
from kit.service import ServiceBase
from kit.subject_access import person_ref


class ConventionService(ServiceBase):
    name = "convention"
    caller = Caller()
    beneficiary = TimedRpcProxy("beneficiary", timeout=CHECK_TIMEOUT)
    employer = TimedRpcProxy("employer", timeout=CHECK_TIMEOUT)

    # -- projects and conventions -------------------------------------------
    @rpc
    @entrypoint("convention.write", payload=schemas.ProjectSchema, refs=app.project_refs, answer=app.project_answer)
    def create_project(self, payload):
        """A training project with its two conventions, both drafts, in one transaction."""
        return app.create_project(*self.unit, payload)

    @rpc
    @entrypoint("convention.write", answer=app.convention_answer)
    def update_convention(self, convention_id, changes):
        return app.update_convention(*self.unit, convention_id, changes)

    @rpc
    @entrypoint("convention.write", answer=app.convention_answer)
    def amend(self, convention_id, changes):
        return app.amend(*self.unit, convention_id, changes)

    @rpc
    @entrypoint("convention.write", answer=app.convention_answer)
    def submit(self, convention_id):
        return app.move(*self.unit, convention_id, "submit", None)

    @rpc
    @entrypoint("convention.write", answer=app.convention_answer)
    def activate(self, convention_id):
        return app.move(*self.unit, convention_id, "activate", None)

    @rpc
    @entrypoint("convention.write", answer=app.convention_answer)
    def complete(self, convention_id):
        return app.move(*self.unit, convention_id, "complete", None)

    @rpc
    @entrypoint("convention.write", reason=one_of("reason", CANCEL_REASONS), answer=app.convention_answer)
    def cancel(self, convention_id, reason):
        return app.move(*self.unit, convention_id, "cancel", reason)

    @rpc
    @entrypoint("convention.write", reason=one_of("reason", TERMINATE_REASONS), answer=app.convention_answer)
    def terminate(self, convention_id, reason):
        return app.move(*self.unit, convention_id, "terminate", reason)

    @rpc
    @entrypoint("convention.sign", payload=schemas.SignatureSchema, answer=app.convention_answer)
    def sign(self, convention_id, payload):
        return app.sign(*self.unit, convention_id, payload)

    # -- confirmation internships and trainees -------------------------------
    @rpc
    @entrypoint(
        "convention.enrol", payload=schemas.InternshipSchema, refs=app.internship_refs, answer=app.internship_answer
    )
    def record_internship(self, project_id, payload):
        return app.record_internship(*self.unit, project_id, payload)

    @rpc
    @entrypoint("convention.enrol", payload=schemas.EnrolmentSchema, refs=app.enrolment_refs, answer=app.trainee_answer)
    def enrol(self, project_id, payload):
        return app.enrol(*self.unit, project_id, payload)

    @rpc
    @entrypoint("convention.enrol", payload=schemas.DropOutSchema, answer=app.trainee_answer)
    def drop_out(self, trainee_id, payload):
        return app.trainee_move(*self.unit, trainee_id, "drop_out", payload)

    @rpc
    @entrypoint("convention.enrol", payload=schemas.TraineeCompletionSchema, answer=app.trainee_answer)
    def complete_trainee(self, trainee_id, payload):
        return app.trainee_move(*self.unit, trainee_id, "complete", payload)

    @rpc
    @entrypoint("convention.enrol", payload=schemas.HireSchema, answer=app.trainee_answer)
    def record_hire(self, trainee_id, payload):
        return app.trainee_move(*self.unit, trainee_id, "hire", payload)

    @rpc
    @entrypoint("convention.enrol", payload=schemas.NotHiredSchema, answer=app.trainee_answer)
    def record_not_hired(self, trainee_id, payload):
        return app.trainee_move(*self.unit, trainee_id, "not_hired", payload)

    @rpc
    @entrypoint("convention.committee", payload=schemas.CommitteeSchema, answer=app.committee_answer)
    def hold_committee(self, project_id, payload):
        return app.hold_committee(*self.unit, project_id, payload)

    # -- reads -------------------------------------------------------------
    @rpc
    @entrypoint("convention.read", reads=True)
    def get_trainee(self, trainee_id):
        return app.read_trainee(self.unit.session, trainee_id)

    @rpc
    @entrypoint("convention.read", reads=True)
    def get_project(self, project_id):
        return app.read_project(self.unit.session, project_id)

    @rpc
    @entrypoint("convention.read", reads=True)
    def get_convention(self, convention_id):
        return app.read_convention(self.unit.session, convention_id)

    @rpc
    @entrypoint("convention.read", reads=True)
    def list_projects(self, employer_id=None, page=1, page_size=25):
        return app.list_projects(self.unit.session, employer_id, page, page_size)

    @rpc
    @entrypoint("convention.read", reads=True)
    def convention_commitment(self, convention_id):
        return app.convention_commitment(self.unit.session, convention_id)

    @rpc
    @entrypoint("convention.read", reads=True)
    def employer_commitments(self, employer_id, page=1, page_size=25):
        return app.employer_commitments(self.unit.session, employer_id, page, page_size)

    @rpc
    def replay_agency_events(self, agency, since):
        """Queue again the events ``agency`` was sent since ``since`` (ISO date), with their original ids.
        Returns ``{"agency", "since", "replayed"}``."""
        self.caller.authorize("convention.agency_replay")
        return agency_events.replay_request(self.db, agency, since)

    # -- events consumed (failure semantics: the kit's, retried then dead-lettered; applied once) ----------
    @event_handler(internal.BeneficiaryErasedV1.TYPE)
    @once(internal.BeneficiaryErasedV1)
    def on_beneficiary_erased(self, data):
        app.forget_beneficiary(self.unit.session, data.beneficiary_id)

    @event_handler(internal.VacancyClosedV1.TYPE)
    @once(internal.VacancyClosedV1)
    def on_vacancy_closed(self, data):
        app.note_vacancy_status(self.unit.session, data.vacancy_id, data.status)

    @event_handler(internal.VacancyFilledV1.TYPE)
    @once(internal.VacancyFilledV1)
    def on_vacancy_filled(self, data):
        app.note_vacancy_status(self.unit.session, data.vacancy_id, data.status)

    # -- what is due (convention.queries) ----------------------------------
    @rpc
    @entrypoint("convention.read", reads=True, args=queries.DueSchema)
    def due(self, lead=None, horizon_days=queries.DEFAULT_HORIZON_DAYS):
        """Trainings ending and follow-up committees falling due by ``horizon_days`` ahead, overdue first: of
        the projects ``lead`` created, or of the whole Mission when None."""
        return queries.due(self.unit.session, self.clock.today(), horizon_days, lead)

    @timer(interval=metrics.DUE_INTERVAL, eager=True)
    def measure_due(self):
        """The Mission's due and overdue trainings ends and committees as metrics (``passerelle_due_items``)."""
        self.count_due(queries.due_counts)

    # -- data protection --
    @rpc
    def apply_retention(self, periods=None, dry_run=True):
        """Sent outbox and inbox rows past the site's periods purged (``kit.retention``); with ``dry_run``
        (the default) only counted."""
        self.caller.authorize("retention.apply")
        return apply_to_messages(self.db.transaction, self.clock.now(), periods, dry_run)

    @rpc
    @entrypoint("convention.subject_access", reads=True, beneficiary_id=person_ref)
    def subject_access(self, beneficiary_id):
        """A person's internships and trainee records (GDPR art. 15; ``convention.access``)."""
        return access.export(self.unit.session, beneficiary_id)
