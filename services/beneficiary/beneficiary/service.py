"""Beneficiary service entrypoints: authorise, load through a schema, run a use case, dump.

Wiring only: every method re-checks the caller (``kit.actor``) against the policy table and its Mission,
opens the transaction, calls a use case of ``beneficiary.application`` (where the rules are, and the audit
of every read of personal data), adds its events to the outbox in the same transaction (``kit.outbox``)
and dumps the answer.
"""

import logging

from nameko.timer import timer

from beneficiary import application as app
from beneficiary import queries, rekey, schemas
from contracts import signal
from contracts.catalogue import load
from kit import agency_outbox as agency_events
from kit import inputs, metrics
from kit.actor import Caller
from kit.application import SystemClock, to_outbox
from kit.consumer import event_handler
from kit.references import CHECK_TIMEOUT, Ref, check, known, rpc_lookup
from kit.rpc import TimedRpcProxy, rpc
from kit.service import ServiceBase

log = logging.getLogger(__name__)
clock = SystemClock()


class BeneficiaryService(ServiceBase):
    name = "beneficiary"
    caller = Caller()
    uses_sector_key = True  # pseudonyms at intake: the site checks the key at start (runtime.site_runner.check_secrets)
    employer = TimedRpcProxy("employer", timeout=CHECK_TIMEOUT)

    def _change(self, action: str, change: app.FileChange, beneficiary_id, data):
        """``change`` on one person's file as an authorised, audited write; its value."""
        actor = self.caller.authorize(action)
        with self.db.transaction() as session:
            person = app.person(session, beneficiary_id)
            app.audit(session, actor, clock, action, person.id, "accompaniment")
            return to_outbox(session, change(session, actor, clock, self.site.source, person, data))

    def _read(self, action: str = "beneficiary.read"):
        return self.caller.authorize(action), self.db.transaction()

    # -- intake and the file ---------------------------------------------
    @rpc
    def register(self, payload):
        """Intake: a new person's file. Refuses a NISS the Mission already follows."""
        actor = self.caller.authorize("beneficiary.register")
        data = inputs.load(schemas.IntakeSchema(), payload)
        with self.db.transaction() as session:
            person = to_outbox(session, app.register(session, actor, clock, self.site.source, data))
        log.info("registered beneficiary %s", person.id)
        return schemas.BeneficiarySchema().dump(person)

    @rpc
    def get(self, beneficiary_id, purpose="accompaniment"):
        """The file: identity, target groups (evidence of sensitive ones only to the roles allowed),
        disclosures, stage and status, current plan, contract."""
        actor, transaction = self._read()
        sensitive_ok = self.caller.may("beneficiary.sensitive_evidence")
        with transaction as session:
            found = app.file(session, actor, clock, self.site.code, beneficiary_id, purpose, sensitive_ok)
            return schemas.BeneficiarySchema().dump(found.person) | schemas.FileSchema().dump(found)

    @event_handler("be.mire.reporting.followed_elsewhere.v1", source="signal")
    def on_followed_elsewhere(self, event):
        """InterMire says other Missions follow this pseudonym too: shown on the person's file."""
        data = load(event, signal.FollowedElsewhereV1)
        with self.db.once(event) as session:
            if session is not None:
                app.note_followed_elsewhere(session, clock, data.pseudonym, data.missions)

    @rpc
    def list_beneficiaries(self, page=1, page_size=25, purpose="accompaniment"):
        actor = self.caller.authorize("beneficiary.read")
        offset, limit = inputs.page_window(page, page_size)
        with self.db.transaction() as session:
            total, people = app.page_of_people(session, actor, clock, offset, limit, purpose)
            items = schemas.BeneficiarySchema(only=("id", "first_name", "last_name", "stage", "status")).dump(
                people, many=True
            )
        return {"items": items, "page": page, "page_size": page_size, "total": total}

    @rpc
    def count(self):
        self.caller.authorize("beneficiary.read")
        with self.db.session() as session:
            return app.count(session)

    @rpc
    def known_beneficiaries(self, ids):
        """Which of these references name a person of this Mission (kit.references; existence only)."""
        self.caller.authorize("beneficiary.reference")
        with self.db.session() as session:
            return known(ids, lambda asked: app.known(session, asked))

    # -- disclosures -----------------------------------------------------
    @rpc
    def record_disclosure(self, beneficiary_id, payload):
        data = inputs.load(schemas.DisclosureSchema(), payload)
        return self._change("beneficiary.record_consent", app.record_disclosure, beneficiary_id, data)

    @rpc
    def withdraw_disclosure(self, beneficiary_id, agency):
        self._change("beneficiary.record_consent", app.withdraw_disclosure, beneficiary_id, agency)
        return {"agency": agency, "withdrawn_on": clock.today().isoformat()}

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
    def assess(self, beneficiary_id, payload):
        """Record what the person can already do, in the taxonomy's competence codes."""
        data = inputs.load(schemas.AssessmentSchema(), payload)
        done = self._change("beneficiary.assess", app.assess, beneficiary_id, data)
        return {"id": done.id, "assessed_on": done.assessed_on.isoformat(), "competences": len(done.competences)}

    @rpc
    def agree_plan(self, beneficiary_id, payload):
        """A new version of the insertion plan, negotiated with the person; earlier versions are kept."""
        data = inputs.load(schemas.PlanSchema(), payload)
        plan = self._change("beneficiary.agree_plan", app.agree_plan, beneficiary_id, data)
        return {"version": plan.version, "agreed_by": plan.agreed_by, "agreed_at": plan.agreed_at.isoformat()}

    @rpc
    def list_plans(self, beneficiary_id, purpose="accompaniment"):
        actor, transaction = self._read()
        with transaction as session:
            return schemas.PlanOutSchema(many=True).dump(app.plans(session, actor, clock, beneficiary_id, purpose))

    @rpc
    def move_stage(self, beneficiary_id, payload):
        """Move along the path: skips and returns allowed; a dropped-out person re-enters."""
        data = inputs.load(schemas.StageMoveSchema(), payload)
        person = self._change("beneficiary.move_stage", app.move_stage, beneficiary_id, data)
        return {"stage": person.stage, "status": person.status}

    @rpc
    def drop_out(self, beneficiary_id, payload):
        data = inputs.load(schemas.DropOutSchema(), payload)
        person = self._change("beneficiary.move_stage", app.drop_out, beneficiary_id, data)
        return {"stage": person.stage, "status": person.status}

    @rpc
    def get_pathway(self, beneficiary_id, purpose="accompaniment"):
        actor, transaction = self._read()
        with transaction as session:
            person, steps = app.pathway(session, actor, clock, beneficiary_id, purpose)
            return schemas.PathwaySchema().dump({"stage": person.stage, "status": person.status, "transitions": steps})

    # -- accompaniment notes ---------------------------------------------
    @rpc
    def add_note(self, beneficiary_id, payload):
        data = inputs.load(schemas.NoteSchema(), payload)
        actor = self.caller.authorize(f"beneficiary.notes.{data['kind']}")
        with self.db.transaction() as session:
            note = app.add_note(session, actor, clock, beneficiary_id, data)
        return {"id": note.id, "kind": note.kind, "at": note.at.isoformat()}

    @rpc
    def list_notes(self, beneficiary_id, kind, purpose="accompaniment"):
        actor, transaction = self._read(f"beneficiary.notes.{app.check_note_kind(kind)}")
        with transaction as session:
            return schemas.NoteOutSchema(many=True).dump(
                app.notes(session, actor, clock, beneficiary_id, kind, purpose)
            )

    # -- outcomes --------------------------------------------------------
    @rpc
    def record_contract(self, beneficiary_id, payload):
        """The first contract signed; schedules the six-month check."""
        self.caller.authorize("beneficiary.record_outcome")
        data = inputs.load(schemas.ContractSchema(), payload)
        check([Ref("employer_id", "employer", data["employer_id"])], rpc_lookup({"employer": self.employer}))
        contract = self._change("beneficiary.record_outcome", app.record_contract, beneficiary_id, data)
        return schemas.ContractOutSchema().dump(contract)

    @rpc
    def record_six_month_check(self, beneficiary_id, payload):
        data = inputs.load(schemas.FollowUpSchema(), payload)
        contract = self._change("beneficiary.record_outcome", app.record_six_month_check, beneficiary_id, data)
        return schemas.ContractOutSchema().dump(contract)

    @rpc
    def exit_path(self, beneficiary_id, payload):
        data = inputs.load(schemas.ExitSchema(), payload)
        return {"status": self._change("beneficiary.record_outcome", app.exit_path, beneficiary_id, data).status}

    # -- erasure ---------------------------------------------------------
    @rpc
    def erase(self, beneficiary_id):
        """Remove the person here, keep statistical residue, and tell the Mission's services to forget."""
        actor = self.caller.authorize("beneficiary.erase")
        with self.db.transaction() as session:
            erased = to_outbox(session, app.erase(session, actor, clock, self.site.source, beneficiary_id))
        return {"erased": erased}

    # -- search, caseload and what is due (beneficiary.queries) ----------
    @rpc
    def search(self, found=None, page=1, page_size=25, purpose="accompaniment"):
        """People by part of their name (accents and case ignored), national or BIS number, counsellor, stage,
        status, target group, municipality and registration dates (``queries.SearchSchema``); by name."""
        actor = self.caller.authorize("beneficiary.read")
        loaded = inputs.load(queries.SearchSchema(), found)
        offset, limit = inputs.page_window(page, page_size)
        with self.db.transaction() as session:
            total, items = queries.search(session, loaded, offset, limit)
            for item in items:
                app.audit(session, actor, clock, "beneficiary.search", item["id"], purpose)
        return {"items": items, "page": page, "page_size": page_size, "total": total}

    @rpc
    def caseload(self, counsellor=None, page=1, page_size=25, purpose="accompaniment", stage=None):
        """A counsellor's caseload (the caller's by default): active people (at ``stage`` if given) with their
        next due item, and counts by stage."""
        actor = self.caller.authorize("beneficiary.read")
        asked = inputs.load(queries.CaseloadSchema(), {"counsellor": counsellor, "stage": stage})
        offset, limit = inputs.page_window(page, page_size)
        with self.db.transaction() as session:
            body = queries.caseload(
                session, asked["counsellor"] or actor.sub, clock.today(), offset, limit, asked["stage"]
            )
            for item in body["items"]:
                app.audit(session, actor, clock, "beneficiary.caseload", item["id"], purpose)
        return body | {"page": page, "page_size": page_size, "total": body["listed"]}

    @rpc
    def list_assessments(self, beneficiary_id, purpose="accompaniment"):
        """Every competence assessment of a person, the latest first."""
        actor = self.caller.authorize("beneficiary.read")
        with self.db.transaction() as session:
            person = app.person(session, beneficiary_id)
            app.audit(session, actor, clock, "beneficiary.assessments", person.id, purpose)
            return queries.assessments(session, person.id)

    @rpc
    def due(self, counsellor=None, horizon_days=queries.DEFAULT_HORIZON_DAYS, purpose="accompaniment"):
        """What falls due (six-month checks, plan reviews) by ``horizon_days`` ahead, overdue first: for one
        counsellor, or the whole Mission when ``counsellor`` is None."""
        actor = self.caller.authorize("beneficiary.read")
        asked = inputs.load(queries.DueSchema(), {"counsellor": counsellor, "horizon_days": horizon_days})
        with self.db.transaction() as session:
            body = queries.due(session, clock.today(), asked["horizon_days"], asked["counsellor"])
            for subject in {item["person"]["id"] for item in body["items"]}:
                app.audit(session, actor, clock, "beneficiary.due", subject, purpose)
        return body

    @timer(interval=metrics.DUE_INTERVAL, eager=True)
    def measure_due(self):
        """The Mission's due and overdue counts as metrics (``passerelle_due_items``)."""
        with self.db.session() as session:
            counts = queries.due_counts(session, clock.today())
        for (kind, state), n in counts.items():
            metrics.DUE_ITEMS.labels(self.name, kind, state).set(n)
