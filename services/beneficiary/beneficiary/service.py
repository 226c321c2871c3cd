"""Beneficiary service entrypoints: each RPC is its spec (``kit.entrypoint``) and the use case it calls.

Wiring only: every method re-checks the caller (``kit.actor``) against the policy table and its Mission, and
calls a use case of ``beneficiary.application`` (where the rules are, and the audit of every read of personal
data); a change and its events commit together (``kit.outbox``).
"""

import logging

from nameko.timer import timer

from beneficiary import application as app
from beneficiary import queries, rekey, schemas
from contracts import signal
from kit import agency_outbox as agency_events
from kit import answers, inputs, metrics
from kit.actor import Caller
from kit.application import to_outbox
from kit.consumer import event_handler
from kit.entrypoint import entrypoint, once
from kit.references import CHECK_TIMEOUT, Ref, known
from kit.rpc import TimedRpcProxy, rpc
from kit.service import ServiceBase

log = logging.getLogger(__name__)
# Answers that are part of a record.
LISTED = schemas.BeneficiarySchema(only=("id", "first_name", "last_name", "stage", "status"))
STAGE = schemas.BeneficiarySchema(only=("stage", "status"))
STATUS = schemas.BeneficiarySchema(only=("status",))
AGREED = schemas.PlanOutSchema(only=("version", "agreed_by", "agreed_at"))


class BeneficiaryService(ServiceBase):
    name = "beneficiary"
    caller = Caller()
    uses_sector_key = True  # pseudonyms at intake: the site checks the key at start (runtime.site_runner.check_secrets)
    employer = TimedRpcProxy("employer", timeout=CHECK_TIMEOUT)

    def _file(self, beneficiary_id):
        """The person whose file a write changes, the change audited under the entrypoint's action."""
        person = app.person(self.unit.session, beneficiary_id)
        app.audit(self.unit.session, self.unit.actor, self.clock, self.unit.action, person.id, "accompaniment")
        return person

    # -- intake and the file ---------------------------------------------
    @rpc
    @entrypoint("beneficiary.register", payload=schemas.IntakeSchema, answer=schemas.BeneficiarySchema)
    def register(self, payload):
        """Intake: a new person's file. Refuses a NISS the Mission already follows."""
        registered = app.register(*self.unit, payload)
        log.info("registered beneficiary %s", registered.value.id)
        return registered

    @rpc
    @entrypoint("beneficiary.read")
    def get(self, beneficiary_id, purpose="accompaniment"):
        """The file: identity, target groups (evidence of sensitive ones only to the roles allowed),
        disclosures, stage and status, current plan, contract."""
        sensitive_ok = self.caller.may("beneficiary.sensitive_evidence")
        found = app.file(
            self.unit.session, self.unit.actor, self.clock, self.site.code, beneficiary_id, purpose, sensitive_ok
        )
        return schemas.BeneficiarySchema().dump(found.person) | schemas.FileSchema().dump(found)

    @event_handler(signal.FollowedElsewhereV1.TYPE, source="signal")
    @once(signal.FollowedElsewhereV1)
    def on_followed_elsewhere(self, data):
        """InterMire says other Missions follow this pseudonym too: shown on the person's file."""
        app.note_followed_elsewhere(self.unit.session, self.clock, data.pseudonym, data.missions)

    @rpc
    @entrypoint("beneficiary.read")
    def list_beneficiaries(self, page=1, page_size=25, purpose="accompaniment"):
        window = inputs.page_window(page, page_size)
        total, people = app.page_of_people(self.unit.session, self.unit.actor, self.clock, *window, purpose)
        return answers.page(LISTED.dump(people, many=True), page, page_size, total)

    @rpc
    @entrypoint("beneficiary.read", reads=True)
    def count(self):
        return app.count(self.unit.session)

    @rpc
    @entrypoint("beneficiary.reference", reads=True)
    def known_beneficiaries(self, ids):
        """Which of these references name a person of this Mission (kit.references; existence only)."""
        return known(ids, lambda asked: app.known(self.unit.session, asked))

    # -- disclosures -----------------------------------------------------
    @rpc
    @entrypoint("beneficiary.record_consent", payload=schemas.DisclosureSchema)
    def record_disclosure(self, beneficiary_id, payload):
        return app.record_disclosure(*self.unit, self._file(beneficiary_id), payload)

    @rpc
    @entrypoint("beneficiary.record_consent")
    def withdraw_disclosure(self, beneficiary_id, agency):
        to_outbox(self.unit.session, app.withdraw_disclosure(*self.unit, self._file(beneficiary_id), agency))
        return {"agency": agency, "withdrawn_on": self.clock.today().isoformat()}

    @rpc
    def replay_agency_events(self, agency, since):
        """Queue again the events ``agency`` was sent since ``since`` (ISO date), with their original ids."""
        self.caller.authorize("beneficiary.agency_replay")
        return agency_events.replay_request(self.db, agency, since)

    @rpc
    def rekey_pseudonyms(self, limit=500):
        """Sector key rotation: one batch of people re-derived under the current key (``beneficiary.rekey``)."""
        self.caller.authorize("beneficiary.rekey_pseudonyms")
        return rekey.rekey(self.db, self.site.source, max(1, min(int(limit), 5000)))

    # -- assessment, plan and path ---------------------------------------
    @rpc
    @entrypoint("beneficiary.assess", payload=schemas.AssessmentSchema, answer=schemas.AssessedOutSchema)
    def assess(self, beneficiary_id, payload):
        """Record what the person can already do, in the taxonomy's competence codes."""
        return app.assess(*self.unit, self._file(beneficiary_id), payload)

    @rpc
    @entrypoint("beneficiary.agree_plan", payload=schemas.PlanSchema, answer=AGREED)
    def agree_plan(self, beneficiary_id, payload):
        """A new version of the insertion plan, negotiated with the person; earlier versions are kept."""
        return app.agree_plan(*self.unit, self._file(beneficiary_id), payload)

    @rpc
    @entrypoint("beneficiary.read", answer=schemas.PlanOutSchema(many=True))
    def list_plans(self, beneficiary_id, purpose="accompaniment"):
        return app.plans(self.unit.session, self.unit.actor, self.clock, beneficiary_id, purpose)

    @rpc
    @entrypoint("beneficiary.move_stage", payload=schemas.StageMoveSchema, answer=STAGE)
    def move_stage(self, beneficiary_id, payload):
        """Move along the path: skips and returns allowed; a dropped-out person re-enters."""
        return app.move_stage(*self.unit, self._file(beneficiary_id), payload)

    @rpc
    @entrypoint("beneficiary.move_stage", payload=schemas.DropOutSchema, answer=STAGE)
    def drop_out(self, beneficiary_id, payload):
        return app.drop_out(*self.unit, self._file(beneficiary_id), payload)

    @rpc
    @entrypoint("beneficiary.read", answer=schemas.PathwaySchema)
    def get_pathway(self, beneficiary_id, purpose="accompaniment"):
        person, steps = app.pathway(self.unit.session, self.unit.actor, self.clock, beneficiary_id, purpose)
        return {"stage": person.stage, "status": person.status, "transitions": steps}

    # -- accompaniment notes: the note's kind decides who may ------------
    @rpc
    @entrypoint(
        lambda beneficiary_id, payload: f"beneficiary.notes.{payload['kind']}",
        payload=schemas.NoteSchema,
        answer=schemas.NoteOutSchema(only=("id", "kind", "at")),
    )
    def add_note(self, beneficiary_id, payload):
        return app.add_note(self.unit.session, self.unit.actor, self.clock, beneficiary_id, payload)

    @rpc
    @entrypoint(
        lambda beneficiary_id, kind, purpose: f"beneficiary.notes.{kind}",
        kind=app.check_note_kind,
        answer=schemas.NoteOutSchema(many=True),
    )
    def list_notes(self, beneficiary_id, kind, purpose="accompaniment"):
        return app.notes(self.unit.session, self.unit.actor, self.clock, beneficiary_id, kind, purpose)

    # -- outcomes --------------------------------------------------------
    @rpc
    @entrypoint(
        "beneficiary.record_outcome",
        payload=schemas.ContractSchema,
        refs=lambda beneficiary_id, payload: [Ref("employer_id", "employer", payload["employer_id"])],
        answer=schemas.ContractOutSchema,
    )
    def record_contract(self, beneficiary_id, payload):
        """The first contract signed; schedules the six-month check."""
        return app.record_contract(*self.unit, self._file(beneficiary_id), payload)

    @rpc
    @entrypoint("beneficiary.record_outcome", payload=schemas.FollowUpSchema, answer=schemas.ContractOutSchema)
    def record_six_month_check(self, beneficiary_id, payload):
        return app.record_six_month_check(*self.unit, self._file(beneficiary_id), payload)

    @rpc
    @entrypoint("beneficiary.record_outcome", payload=schemas.ExitSchema, answer=STATUS)
    def exit_path(self, beneficiary_id, payload):
        return app.exit_path(*self.unit, self._file(beneficiary_id), payload)

    # -- erasure ---------------------------------------------------------
    @rpc
    @entrypoint("beneficiary.erase", answer=lambda _, erased: {"erased": erased})
    def erase(self, beneficiary_id):
        """Remove the person here, keep statistical residue, and tell the Mission's services to forget."""
        return app.erase(*self.unit, beneficiary_id)

    # -- search, caseload and what is due (beneficiary.queries): each person listed is audited ----------
    @rpc
    @entrypoint("beneficiary.read", found=queries.SearchSchema)
    def search(self, found=None, page=1, page_size=25, purpose="accompaniment"):
        """People by part of their name (accents and case ignored), national or BIS number, counsellor, stage,
        status, target group, municipality and registration dates (``queries.SearchSchema``); by name."""
        total, items = queries.search(self.unit.session, found, *inputs.page_window(page, page_size))
        self._audit("beneficiary.search", [item["id"] for item in items], purpose)
        return answers.page(items, page, page_size, total)

    @rpc
    @entrypoint("beneficiary.read")
    def caseload(self, counsellor=None, page=1, page_size=25, purpose="accompaniment", stage=None):
        """A counsellor's caseload (the caller's by default): active people (at ``stage`` if given) with their
        next due item, and counts by stage."""
        asked = inputs.load(queries.CaseloadSchema(), {"counsellor": counsellor, "stage": stage})
        window = inputs.page_window(page, page_size)
        who = asked["counsellor"] or self.unit.actor.sub
        body = queries.caseload(self.unit.session, who, self.clock.today(), *window, asked["stage"])
        self._audit("beneficiary.caseload", [item["id"] for item in body["items"]], purpose)
        return body | {"page": page, "page_size": page_size, "total": body["listed"]}

    @rpc
    @entrypoint("beneficiary.read")
    def list_assessments(self, beneficiary_id, purpose="accompaniment"):
        """Every competence assessment of a person, the latest first."""
        person = app.person(self.unit.session, beneficiary_id)
        self._audit("beneficiary.assessments", [person.id], purpose)
        return queries.assessments(self.unit.session, person.id)

    @rpc
    @entrypoint("beneficiary.read")
    def due(self, counsellor=None, horizon_days=queries.DEFAULT_HORIZON_DAYS, purpose="accompaniment"):
        """What falls due (six-month checks, plan reviews) by ``horizon_days`` ahead, overdue first: for one
        counsellor, or the whole Mission when ``counsellor`` is None."""
        asked = inputs.load(queries.DueSchema(), {"counsellor": counsellor, "horizon_days": horizon_days})
        body = queries.due(self.unit.session, self.clock.today(), asked["horizon_days"], asked["counsellor"])
        self._audit("beneficiary.due", {item["person"]["id"] for item in body["items"]}, purpose)
        return body

    def _audit(self, action, subjects, purpose):
        for subject in subjects:
            app.audit(self.unit.session, self.unit.actor, self.clock, action, subject, purpose)

    @timer(interval=metrics.DUE_INTERVAL, eager=True)
    def measure_due(self):
        """The Mission's due and overdue counts as metrics (``passerelle_due_items``)."""
        self.count_due(queries.due_counts)
