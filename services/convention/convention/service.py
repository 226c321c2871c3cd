"""Convention service entrypoints, wiring only: each RPC is its spec (``kit.entrypoint``) and the use case of
``convention.application`` it calls (a training project's two conventions and their signatures, trainees)."""

from contracts import internal
from convention import access, meeting_schemas, meetings, queries, schemas
from convention import application as app
from convention.enums import CANCEL_REASONS, TERMINATE_REASONS
from kit import agency_outbox as agency_events
from kit.actor import Caller
from kit.entrypoint import due_timer, entrypoint, once
from kit.inputs import one_of
from kit.references import CHECK_TIMEOUT, rpc_lookup
from kit.rpc import TimedRpcProxy
from kit.service import ServiceBase
from kit.subject_access import person_ref


class ConventionService(ServiceBase):
    name = "convention"
    caller = Caller()
    beneficiary = TimedRpcProxy("beneficiary", timeout=CHECK_TIMEOUT)
    employer = TimedRpcProxy("employer", timeout=CHECK_TIMEOUT)

    # -- projects and conventions -------------------------------------------
    @entrypoint("convention.write", payload=schemas.ProjectSchema, refs=app.project_refs, answer=app.project_answer)
    def create_project(self, payload):
        """A training project with its two conventions, both drafts, in one transaction."""
        return app.create_project(*self.unit, payload)

    @entrypoint("convention.write", answer=app.convention_answer)
    def update_convention(self, convention_id, changes):
        return app.update_convention(*self.unit, convention_id, changes)

    @entrypoint("convention.write", answer=app.convention_answer)
    def amend(self, convention_id, changes):
        return app.amend(*self.unit, convention_id, changes)

    @entrypoint("convention.write", answer=app.convention_answer)
    def submit(self, convention_id):
        return app.move(*self.unit, convention_id, "submit", None)

    @entrypoint("convention.write", answer=app.convention_answer)
    def activate(self, convention_id):
        return app.move(*self.unit, convention_id, "activate", None)

    @entrypoint("convention.write", answer=app.convention_answer)
    def complete(self, convention_id):
        return app.move(*self.unit, convention_id, "complete", None)

    @entrypoint("convention.write", reason=one_of("reason", CANCEL_REASONS), answer=app.convention_answer)
    def cancel(self, convention_id, reason):
        return app.move(*self.unit, convention_id, "cancel", reason)

    @entrypoint("convention.write", reason=one_of("reason", TERMINATE_REASONS), answer=app.convention_answer)
    def terminate(self, convention_id, reason):
        return app.move(*self.unit, convention_id, "terminate", reason)

    @entrypoint("convention.sign", payload=schemas.SignatureSchema, answer=app.convention_answer)
    def sign(self, convention_id, payload):
        return app.sign(*self.unit, convention_id, payload)

    # -- confirmation internships and trainees -------------------------------
    @entrypoint(
        "convention.enrol", payload=schemas.InternshipSchema, refs=app.internship_refs, answer=app.internship_answer
    )
    def record_internship(self, project_id, payload):
        return app.record_internship(*self.unit, project_id, payload)

    @entrypoint("convention.enrol", payload=schemas.EnrolmentSchema, refs=app.enrolment_refs, answer=app.trainee_answer)
    def enrol(self, project_id, payload):
        return app.enrol(*self.unit, project_id, payload)

    @entrypoint("convention.enrol", payload=schemas.DropOutSchema, answer=app.trainee_answer)
    def drop_out(self, trainee_id, payload):
        return app.trainee_move(*self.unit, trainee_id, "drop_out", payload)

    @entrypoint("convention.enrol", payload=schemas.TraineeCompletionSchema, answer=app.trainee_answer)
    def complete_trainee(self, trainee_id, payload):
        return app.trainee_move(*self.unit, trainee_id, "complete", payload)

    @entrypoint("convention.enrol", payload=schemas.HireSchema, answer=app.trainee_answer)
    def record_hire(self, trainee_id, payload):
        return app.trainee_move(*self.unit, trainee_id, "hire", payload)

    @entrypoint("convention.enrol", payload=schemas.NotHiredSchema, answer=app.trainee_answer)
    def record_not_hired(self, trainee_id, payload):
        return app.trainee_move(*self.unit, trainee_id, "not_hired", payload)

    @entrypoint("convention.committee", payload=schemas.CommitteeSchema, answer=app.committee_answer)
    def hold_committee(self, project_id, payload):
        return app.hold_committee(*self.unit, project_id, payload)

    # -- reads -------------------------------------------------------------
    @entrypoint("convention.read", reads=True)
    def get_trainee(self, trainee_id):
        return app.read_trainee(self.unit.session, trainee_id)

    @entrypoint("convention.read", reads=True)
    def get_project(self, project_id):
        return app.read_project(self.unit.session, project_id)

    @entrypoint("convention.read", reads=True)
    def get_convention(self, convention_id):
        return app.read_convention(self.unit.session, convention_id)

    @entrypoint("convention.read", reads=True)
    def list_projects(self, employer_id=None, page=1, page_size=25):
        return app.list_projects(self.unit.session, employer_id, page, page_size)

    @entrypoint("convention.read", reads=True)
    def convention_commitment(self, convention_id):
        return app.convention_commitment(self.unit.session, convention_id)

    @entrypoint("convention.read", reads=True)
    def employer_commitments(self, employer_id, page=1, page_size=25):
        return app.employer_commitments(self.unit.session, employer_id, page, page_size)

    @entrypoint("convention.agency_replay", session=False)
    def replay_agency_events(self, agency, since):
        """Queue again the events ``agency`` was sent since ``since`` (ISO date), with their original ids."""
        return agency_events.replay_request(self.db, agency, since)

    # -- events consumed (failure semantics: the kit's, retried then dead-lettered; applied once) ----------
    @once(internal.BeneficiaryErasedV1)
    def on_beneficiary_erased(self, data):
        app.forget_beneficiary(self.unit.session, data.beneficiary_id)

    @once(internal.BeneficiaryMergedV1)
    def on_beneficiary_merged(self, data):
        """A provisional file merged: its trainees and internships belong to the kept file."""
        app.move_beneficiary(self.unit.session, data.beneficiary_id, data.into)

    @once(internal.VacancyClosedV1)
    def on_vacancy_closed(self, data):
        app.note_vacancy_status(self.unit.session, data.vacancy_id, data.status)

    @once(internal.VacancyFilledV1)
    def on_vacancy_filled(self, data):
        app.note_vacancy_status(self.unit.session, data.vacancy_id, data.status)

    # -- what is due (convention.queries) ----------------------------------
    @entrypoint("convention.read", reads=True, args=queries.DueSchema)
    def due(self, lead=None, horizon_days=queries.DEFAULT_HORIZON_DAYS):
        """Trainings ending and follow-up committees falling due by ``horizon_days`` ahead, overdue first: of
        the projects ``lead`` created, or of the whole Mission when None."""
        return queries.due(self.unit.session, self.clock.today(), horizon_days, lead)

    measure_due = due_timer(queries.due_counts)  # passerelle_due_items, every metrics.DUE_INTERVAL

    @entrypoint("convention.read", reads=True, beneficiary_id=person_ref)
    def person_trainings(self, beneficiary_id):
        return queries.trainings(self.unit.session, beneficiary_id)

    # -- data protection --
    @entrypoint("convention.subject_access", reads=True, beneficiary_id=person_ref)
    def subject_access(self, beneficiary_id):
        """A person's internships and trainee records (GDPR art. 15; ``convention.access``)."""
        return access.export(self.unit.session, beneficiary_id)

    # -- meetings with partner organisations, the CLAIS forum (convention.meetings) --
    @entrypoint(
        "convention.meeting.write",
        payload=meeting_schemas.MeetingSchema,
        consult=meetings.consult_partners(rpc_lookup),
        answer=meetings.meeting_answer,
    )
    def plan_meeting(self, payload):
        """A meeting with partner organisations (checked in the employer's partner directory), about projects."""
        return meetings.plan_meeting(*self.unit, payload, self.unit.consulted)

    @entrypoint("convention.meeting.write", payload=meeting_schemas.MinutesSchema, answer=meetings.meeting_answer)
    def record_minutes(self, meeting_id, payload):
        return meetings.record_minutes(*self.unit, meeting_id, payload)

    @entrypoint(
        "convention.meeting.write", payload=meeting_schemas.MinutesCorrectionSchema, answer=meetings.meeting_answer
    )
    def correct_minutes(self, meeting_id, payload):
        return meetings.correct_minutes(*self.unit, meeting_id, payload)

    @entrypoint("convention.read", reads=True)
    def get_meeting(self, meeting_id):
        return meetings.read_meeting(self.unit.session, meeting_id)

    @entrypoint("convention.read", reads=True, args=meeting_schemas.MeetingFilterSchema)
    def list_meetings(self, project_id=None, partner_id=None, date_from=None, date_to=None, page=1, page_size=25):
        return meetings.list_meetings(self.unit.session, project_id, partner_id, date_from, date_to, page, page_size)
