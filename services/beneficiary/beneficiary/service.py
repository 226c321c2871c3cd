"""Beneficiary service entrypoints, wiring only: each RPC is its spec (``kit.entrypoint``) and the use case of
``beneficiary.application`` it calls (where the rules are, and the audit of every read of personal data)."""

from beneficiary import application as app
from beneficiary import gaps, identity, queries, schemas
from beneficiary.handover import Transfers
from beneficiary.inbound import Inbound
from beneficiary.orientations import file_answer
from beneficiary.orienting import Orientations
from beneficiary.protection import DataProtection
from beneficiary.referral_entrypoints import Referrals
from contracts import signal
from kit import agency_outbox as agency_events
from kit.actor import Caller
from kit.entrypoint import due_timer, entrypoint, once
from kit.references import CHECK_TIMEOUT, known
from kit.rpc import TimedRpcProxy
from kit.service import ServiceBase


class BeneficiaryService(Referrals, Transfers, Inbound, Orientations, DataProtection, ServiceBase):
    name = "beneficiary"
    caller = Caller()
    uses_sector_key = True  # pseudonyms at intake: the site checks the key at start (runtime.site_runner.check_secrets)
    employer = TimedRpcProxy("employer", timeout=CHECK_TIMEOUT)
    matching = TimedRpcProxy("matching", timeout=CHECK_TIMEOUT)  # what a person lacks (gaps into the plan)

    def _file(self, beneficiary_id):
        return app.file_to_change(self.unit.session, self.unit.actor, self.clock, self.unit.action, beneficiary_id)

    @property
    def _reader(self):
        """What every audited read takes first: (session, actor, clock)."""
        return self.unit.session, self.unit.actor, self.clock

    # -- intake and the file ---------------------------------------------
    @entrypoint("beneficiary.register", payload=schemas.IntakeSchema, answer=schemas.BeneficiarySchema)
    def register(self, payload):
        return app.register(*self.unit, payload)

    @entrypoint("beneficiary.read", answer=file_answer)  # the file, with its orientations to partners
    def get(self, beneficiary_id, purpose="accompaniment"):
        sensitive_ok = self.caller.may("beneficiary.sensitive_evidence")
        return app.file(*self._reader, self.site.code, beneficiary_id, purpose, sensitive_ok)

    @entrypoint("beneficiary.complete_identity", payload=schemas.IdentitySchema, answer=schemas.BeneficiarySchema)
    def complete_identity(self, beneficiary_id, payload):
        """A provisional identity takes its number (``beneficiary.identity``); 409 naming the file that holds it."""
        return identity.complete(*self.unit, self._file(beneficiary_id), payload)

    @entrypoint("beneficiary.merge", payload=schemas.MergeSchema, answer=schemas.BeneficiarySchema)
    def merge_identity(self, beneficiary_id, payload):
        """Fold a provisional file into the file that holds its number; answers the kept file."""
        return identity.merge(*self.unit, self._file(beneficiary_id), payload)

    @once(signal.FollowedElsewhereV1, source="signal")
    def on_followed_elsewhere(self, data):
        app.note_followed_elsewhere(self.unit.session, self.clock, data.pseudonym, data.missions)

    @entrypoint("beneficiary.read")
    def list_beneficiaries(self, page=1, page_size=25, purpose="accompaniment"):
        return app.page_of_people(*self._reader, page, page_size, purpose)

    @entrypoint("beneficiary.read", reads=True)
    def count(self):
        return app.count(self.unit.session)

    @entrypoint("beneficiary.reference", reads=True)
    def known_beneficiaries(self, ids):
        return known(ids, lambda asked: app.known(self.unit.session, asked))

    # -- disclosures, and the agencies' maintenance ---------------------
    @entrypoint("beneficiary.record_consent", payload=schemas.DisclosureSchema)
    def record_disclosure(self, beneficiary_id, payload):
        return app.record_disclosure(*self.unit, self._file(beneficiary_id), payload)

    @entrypoint("beneficiary.record_consent")
    def withdraw_disclosure(self, beneficiary_id, agency):
        return app.withdraw_disclosure(*self.unit, self._file(beneficiary_id), agency)

    @entrypoint("beneficiary.agency_replay", session=False)
    def replay_agency_events(self, agency, since):
        return agency_events.replay_request(self.db, agency, since)

    # -- assessment, plan, path and outcomes ----------------------------
    @entrypoint("beneficiary.assess", payload=schemas.AssessmentSchema, answer=schemas.AssessedOutSchema)
    def assess(self, beneficiary_id, payload):
        return app.assess(*self.unit, self._file(beneficiary_id), payload)

    @entrypoint("beneficiary.agree_plan", payload=schemas.PlanSchema, answer=schemas.AGREED)
    def agree_plan(self, beneficiary_id, payload):
        return app.agree_plan(*self.unit, self._file(beneficiary_id), payload)

    @entrypoint(
        "beneficiary.agree_plan",
        payload=schemas.PlanGapsSchema,
        consult=lambda service, beneficiary_id, payload: gaps.ask_matching(service, beneficiary_id, payload),
        answer=schemas.PlanOutSchema,
    )
    def plan_from_gaps(self, beneficiary_id, payload):
        """The next plan version: the current one plus an action per missing competence chosen (``gaps``)."""
        return gaps.plan_from_gaps(*self.unit, self._file(beneficiary_id), payload, self.unit.consulted)

    @entrypoint("beneficiary.read", answer=schemas.PlanOutSchema(many=True))
    def list_plans(self, beneficiary_id, purpose="accompaniment"):
        return app.plans(*self._reader, beneficiary_id, purpose)

    @entrypoint("beneficiary.move_stage", payload=schemas.StageMoveSchema, answer=schemas.STAGE)
    def move_stage(self, beneficiary_id, payload):
        return app.move_stage(*self.unit, self._file(beneficiary_id), payload)

    @entrypoint("beneficiary.move_stage", payload=schemas.DropOutSchema, answer=schemas.STAGE)
    def drop_out(self, beneficiary_id, payload):
        return app.drop_out(*self.unit, self._file(beneficiary_id), payload)

    @entrypoint("beneficiary.read", answer=schemas.PathwaySchema)
    def get_pathway(self, beneficiary_id, purpose="accompaniment"):
        return app.pathway(*self._reader, beneficiary_id, purpose)

    # -- accompaniment notes: the note's kind decides who may ------------
    @entrypoint(app.note_written, payload=schemas.NoteSchema, answer=schemas.NOTE_ADDED)
    def add_note(self, beneficiary_id, payload):
        return app.add_note(*self._reader, beneficiary_id, payload)

    @entrypoint(app.notes_read, kind=app.check_note_kind, answer=schemas.NoteOutSchema(many=True))
    def list_notes(self, beneficiary_id, kind, purpose="accompaniment"):
        return app.notes(*self._reader, beneficiary_id, kind, purpose)

    @entrypoint(
        "beneficiary.record_outcome",
        payload=schemas.ContractSchema,
        refs=app.employer_named,
        answer=schemas.ContractOutSchema,
    )
    def record_contract(self, beneficiary_id, payload):
        return app.record_contract(*self.unit, self._file(beneficiary_id), payload)

    @entrypoint("beneficiary.record_outcome", payload=schemas.FollowUpSchema, answer=schemas.ContractOutSchema)
    def record_six_month_check(self, beneficiary_id, payload):
        return app.record_six_month_check(*self.unit, self._file(beneficiary_id), payload)

    @entrypoint("beneficiary.record_outcome", payload=schemas.ExitSchema, answer=schemas.STATUS)
    def exit_path(self, beneficiary_id, payload):
        return app.exit_path(*self.unit, self._file(beneficiary_id), payload)

    @entrypoint("beneficiary.reopen", payload=schemas.ReopenSchema, answer=schemas.REOPENED)
    def reopen(self, beneficiary_id, payload):
        """A person who left comes back: a new episode on the same closed file (409 on an open one)."""
        return app.reopen(*self.unit, self._file(beneficiary_id), payload)

    # -- search, caseload and what is due: each person listed is audited --
    @entrypoint("beneficiary.read", found=queries.SearchSchema)
    def search(self, found=None, page=1, page_size=25, purpose="accompaniment"):
        """People by name, number, counsellor, stage, status, group, place or dates (``queries.SearchSchema``)."""
        return app.search(*self._reader, found, page, page_size, purpose)

    @entrypoint("beneficiary.read")
    def caseload(self, counsellor=None, page=1, page_size=25, purpose="accompaniment", stage=None):
        return app.caseload(*self._reader, counsellor, stage, page, page_size, purpose)

    @entrypoint("beneficiary.read")
    def list_assessments(self, beneficiary_id, purpose="accompaniment"):
        return app.assessments(*self._reader, beneficiary_id, purpose)

    @entrypoint("beneficiary.read")
    def due(self, counsellor=None, horizon_days=queries.DEFAULT_HORIZON_DAYS, purpose="accompaniment"):
        return app.due(*self._reader, counsellor, horizon_days, purpose)

    measure_due = due_timer(queries.due_counts)  # passerelle_due_items, every metrics.DUE_INTERVAL

    # -- corrections --
    @entrypoint("beneficiary.update", payload=schemas.CorrectionSchema, answer=schemas.BeneficiarySchema)
    def update(self, beneficiary_id, payload):
        """Correct identity, contact, municipality or target groups, at the version the caller read (409 if
        the file was corrected since); every change kept with who, when, before and after."""
        sensitive_ok = self.caller.may("beneficiary.sensitive_evidence")
        return app.correct(*self.unit, self._file(beneficiary_id), payload, sensitive_ok)

    @entrypoint("beneficiary.read", answer=schemas.CorrectionEntrySchema(many=True))
    def list_corrections(self, beneficiary_id, purpose="accompaniment"):
        """The file's corrections, the latest first (sensitive evidence only to the roles that may see it)."""
        sensitive_ok = self.caller.may("beneficiary.sensitive_evidence")
        return app.correction_history(*self._reader, beneficiary_id, purpose, sensitive_ok)
