"""Beneficiary service entrypoints: authorise, load through a schema, apply the rules, dump.

Every method re-checks the caller (``kit.actor``) against the policy table
and its Mission; every read of personal data writes an audit record; every
change and its events commit together (``kit.outbox``).
"""

import logging
import uuid
from contextlib import contextmanager
from datetime import date

from nameko.rpc import rpc
from sqlalchemy import delete, func, or_, select

from beneficiary import domain, events, rekey, schemas
from beneficiary.enums import ACTIVE, DROPPED_OUT, EXITED, SENSITIVE_GROUPS
from beneficiary.models import (
    Assessment,
    Audit,
    Beneficiary,
    Contract,
    Disclosure,
    ErasureResidue,
    FollowedElsewhere,
    Note,
    PlanVersion,
    StageTransition,
    TargetGroup,
)
from kit import agency_outbox as agency_events
from kit import inputs, outbox
from kit.actor import Caller
from kit.consumer import event_handler
from kit.errors import Conflict, NotFound, ValidationFailed
from kit.pseudonym import key_id, pseudonym
from kit.references import CHECK_TIMEOUT, Ref, check, known, rpc_lookup
from kit.rpc import TimedRpcProxy
from kit.service import ServiceBase
from kit.storage import outbox as outbox_table

log = logging.getLogger(__name__)


class BeneficiaryService(ServiceBase):
    name = "beneficiary"
    caller = Caller()
    uses_sector_key = True  # pseudonyms at intake: the site checks the key at start (kit.site.check_secrets)
    employer = TimedRpcProxy("employer", timeout=CHECK_TIMEOUT)

    # -- helpers ---------------------------------------------------------
    def _person(self, session, beneficiary_id) -> Beneficiary:
        person = session.get(Beneficiary, beneficiary_id) if isinstance(beneficiary_id, str) else None
        if person is None:
            raise NotFound("beneficiary", str(beneficiary_id)[:64])
        return person

    def _audit(self, session, actor, action: str, subject: str, purpose: str = "accompaniment"):
        session.add(
            Audit(
                at=inputs.now(),
                actor=actor.sub,
                role=",".join(actor.roles)[:30],
                action=action,
                purpose=(purpose or "accompaniment")[:100],
                subject=subject,
            )
        )

    def _publisher(self, session, person) -> events.EventBuilder:
        groups = session.scalars(select(TargetGroup).where(TargetGroup.beneficiary_id == person.id)).all()
        disclosures = session.scalars(select(Disclosure).where(Disclosure.beneficiary_id == person.id)).all()
        return events.EventBuilder(self.site.source, person, groups, disclosures)

    @staticmethod
    def _emit(session, built):
        """Add built events to the outbox: a list of events, or (events, [(agency event, agency)])."""
        internal, agency = (built, []) if isinstance(built, list) else built
        for event in internal:
            outbox.add(session, event)
        for event, agency_code in agency:
            outbox.add(session, event, to=agency_code)

    @contextmanager
    def _change(self, action: str, beneficiary_id: str):
        """An authorised write on one person's file: (actor, session, person), audited."""
        actor = self.caller.authorize(action)
        with self.db.transaction() as session:
            person = self._person(session, beneficiary_id)
            self._audit(session, actor, action, person.id, "accompaniment")
            yield actor, session, person

    # -- intake ----------------------------------------------------------
    @rpc
    def register(self, payload):
        """Intake: a new person's file. Refuses a NISS the Mission already follows."""
        actor = self.caller.authorize("beneficiary.register")
        data = inputs.load(schemas.IntakeSchema(), payload)
        niss = "".join(ch for ch in data["niss"] if ch.isdigit())
        with self.db.transaction() as session:
            existing = session.scalar(select(Beneficiary.id).where(Beneficiary.niss == niss))
            if existing:
                raise Conflict("a file with this national register number exists in this Mission", existing)
            person = Beneficiary(
                id=str(uuid.uuid4()),
                niss=niss,
                pseudonym=pseudonym(niss),
                pseudonym_key=key_id(),
                first_name=data["first_name"],
                last_name=data["last_name"],
                birth_date=data["birth_date"],
                gender=data["gender"],
                municipality=data["municipality"],
                registered_on=data["registered_on"] or date.today(),
                created_at=inputs.now(),
                phone=data["phone"],
                email=data["email"],
                referrer_type=data["referrer_type"],
                referrer_organisation=data["referrer_organisation"],
                stage="accueil",
                status=ACTIVE,
                counsellor=actor.sub,
            )
            session.add(person)
            session.flush()
            for group in data["target_groups"]:
                session.add(TargetGroup(beneficiary_id=person.id, **group))
            for disclosure in data["disclosures"]:
                session.add(Disclosure(beneficiary_id=person.id, **disclosure))
            session.add(
                StageTransition(
                    beneficiary_id=person.id,
                    from_stage=None,
                    to_stage="accueil",
                    kind="entered",
                    at=inputs.now(),
                    by=actor.sub,
                    role=",".join(actor.roles)[:30],
                )
            )
            session.flush()
            self._emit(session, events.registered(self._publisher(session, person)))
            self._audit(session, actor, "beneficiary.register", person.id)
        log.info("registered beneficiary %s", person.id)
        return schemas.BeneficiarySchema().dump(person)

    @rpc
    def get(self, beneficiary_id, purpose="accompaniment"):
        """The file: identity, target groups (evidence of sensitive ones only to the roles allowed),
        disclosures, stage and status, current plan, contract."""
        actor = self.caller.authorize("beneficiary.read")
        sensitive_ok = self.caller.may("beneficiary.sensitive_evidence")
        with self.db.transaction() as session:
            person = self._person(session, beneficiary_id)
            self._audit(session, actor, "beneficiary.read", person.id, purpose)
            body = schemas.BeneficiarySchema().dump(person)
            body["target_groups"] = [
                {
                    "group": g.group,
                    "since": g.since.isoformat(),
                    "until": g.until and g.until.isoformat(),
                    "evidence": g.evidence if (g.group not in SENSITIVE_GROUPS or sensitive_ok) else None,
                }
                for g in session.scalars(select(TargetGroup).where(TargetGroup.beneficiary_id == person.id))
            ]
            body["disclosures"] = [
                {
                    "agency": d.agency,
                    "basis": d.basis,
                    "reference": d.reference,
                    "given_on": d.given_on.isoformat(),
                    "withdrawn_on": d.withdrawn_on and d.withdrawn_on.isoformat(),
                }
                for d in session.scalars(select(Disclosure).where(Disclosure.beneficiary_id == person.id))
            ]
            plan = session.scalars(
                select(PlanVersion)
                .where(PlanVersion.beneficiary_id == person.id)
                .order_by(PlanVersion.version.desc())
                .limit(1)
            ).first()
            body["plan_version"] = plan.version if plan else None
            contract = session.get(Contract, person.id)
            body["contract"] = _contract(contract) if contract else None
            signal = session.get(FollowedElsewhere, person.pseudonym)
            body["followed_elsewhere"] = [m for m in (signal.missions if signal else []) if m != self.site.code]
        return body

    @event_handler("be.mire.reporting.followed_elsewhere.v1", source="signal")
    def on_followed_elsewhere(self, event):
        """InterMire says other Missions follow this pseudonym too: shown on the person's file."""
        with self.db.once(event) as session:
            if session is None:
                return
            pseudo = event.data["pseudonym"]
            if session.scalar(select(Beneficiary.id).where(Beneficiary.pseudonym == pseudo)) is None:
                return  # erased since, or never ours: keep nothing
            session.merge(
                FollowedElsewhere(pseudonym=pseudo, missions=sorted(event.data["missions"]), signalled_at=inputs.now())
            )

    @rpc
    def list_beneficiaries(self, page=1, page_size=25, purpose="accompaniment"):
        actor = self.caller.authorize("beneficiary.read")
        offset, limit = inputs.page_window(page, page_size)
        with self.db.transaction() as session:
            total = session.scalar(select(func.count()).select_from(Beneficiary))
            people = session.scalars(
                select(Beneficiary).order_by(Beneficiary.last_name, Beneficiary.id).offset(offset).limit(limit)
            ).all()
            for person in people:
                self._audit(session, actor, "beneficiary.list", person.id, purpose)
            items = schemas.BeneficiarySchema(only=("id", "first_name", "last_name", "stage", "status")).dump(
                people, many=True
            )
        return {"items": items, "page": page, "page_size": page_size, "total": total}

    @rpc
    def count(self):
        self.caller.authorize("beneficiary.read")
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(Beneficiary))

    # -- disclosures -----------------------------------------------------
    @rpc
    def record_disclosure(self, beneficiary_id, payload):
        data = inputs.load(schemas.DisclosureSchema(), payload)
        with self._change("beneficiary.record_consent", beneficiary_id) as (_, session, person):
            active = session.scalar(
                select(Disclosure.id).where(
                    Disclosure.beneficiary_id == person.id,
                    Disclosure.agency == data["agency"],
                    Disclosure.withdrawn_on.is_(None),
                )
            )
            if active:
                raise Conflict(f"a disclosure to {data['agency']} is already on record", str(active))
            session.add(Disclosure(beneficiary_id=person.id, **data))
        return {"agency": data["agency"], "basis": data["basis"]}

    @rpc
    def withdraw_disclosure(self, beneficiary_id, agency):
        with self._change("beneficiary.record_consent", beneficiary_id) as (_, session, person):
            record = session.scalars(
                select(Disclosure).where(
                    Disclosure.beneficiary_id == person.id,
                    Disclosure.agency == agency,
                    Disclosure.withdrawn_on.is_(None),
                )
            ).first()
            if record is None:
                raise NotFound("disclosure", str(agency)[:20])
            self._forget_at_agency(
                session, person, record, "consent_withdrawn" if record.basis == "consent" else "legal_basis_ended"
            )
            record.withdrawn_on = date.today()
        return {"agency": agency, "withdrawn_on": date.today().isoformat()}

    def _forget_at_agency(self, session, person, record, reason: str):
        """Stop telling ``record``'s agency about the person: nothing kept or pending for it is sent (or
        replayed) any more and, if anything was sent, the agency is asked to delete it."""
        if not record.agency_reference:
            return  # nothing was ever sent: the agency could not have recognised the person
        if agency_events.drop(session, record.agency, record.agency_reference):
            event, agency = events.forget_requested(self._publisher(session, person), record, reason, date.today())
            outbox.add(session, event, to=agency)

    @rpc
    def replay_agency_events(self, agency, since):
        """Queue again the events ``agency`` was sent since ``since`` (ISO date), with their original ids.

        Forgotten people's events are not among them (dropped at withdrawal or erasure); their
        forget events are. Returns ``{"agency", "since", "replayed"}``.
        """
        self.caller.authorize("beneficiary.agency_replay")
        return agency_events.replay_request(self.db, agency, since)

    @rpc
    def rekey_pseudonyms(self, limit=500):
        """Sector key rotation: one batch of people re-derived under the current key (``beneficiary.rekey``).

        Returns ``{"key", "rekeyed", "labelled", "remaining"}``; ``passerelle rotate-sector-key`` repeats it.
        """
        self.caller.authorize("beneficiary.rekey_pseudonyms")
        return rekey.rekey(self.db, self.site.source, max(1, min(int(limit), 5000)))

    # -- assessment and plan ---------------------------------------------
    @rpc
    def assess(self, beneficiary_id, payload):
        """Record what the person can already do, in the taxonomy's competence codes."""
        data = inputs.load(schemas.AssessmentSchema(), payload)
        with self._change("beneficiary.assess", beneficiary_id) as (actor, session, person):
            assessed_on = data["assessed_on"] or date.today()
            if assessed_on < person.registered_on:
                raise ValidationFailed({"assessed_on": ["is before the intake"]})
            assessment = Assessment(
                id=str(uuid.uuid4()),
                beneficiary_id=person.id,
                assessed_on=assessed_on,
                assessed_by=actor.sub,
                competences=data["competences"],
            )
            session.add(assessment)
            session.flush()
            self._emit(session, events.assessed(self._publisher(session, person), assessment))
        return {"id": assessment.id, "assessed_on": assessed_on.isoformat(), "competences": len(data["competences"])}

    @rpc
    def agree_plan(self, beneficiary_id, payload):
        """A new version of the insertion plan, negotiated with the person; earlier versions are kept."""
        data = inputs.load(schemas.PlanSchema(), payload)
        with self._change("beneficiary.agree_plan", beneficiary_id) as (actor, session, person):
            if person.status == EXITED:
                raise ValidationFailed({"beneficiary": ["the file is closed (exited)"]})
            last = (
                session.scalar(select(func.max(PlanVersion.version)).where(PlanVersion.beneficiary_id == person.id))
                or 0
            )
            actions = [dict(a, due=a["due"].isoformat() if a["due"] else None) for a in data["actions"]]
            plan = PlanVersion(
                beneficiary_id=person.id,
                version=last + 1,
                target_occupations=data["target_occupations"],
                missing_competences=data["missing_competences"],
                actions=actions,
                contract_wishes=data["contract_wishes"],
                hours_wish=data["hours_wish"],
                mobility_km=data["mobility_km"],
                available_from=data["available_from"],
                agreed_by=actor.sub,
                agreed_at=inputs.now(),
                agreed_with_person=data["agreed_with_person"],
            )
            session.add(plan)
            session.flush()
            self._emit(session, events.plan_agreed(self._publisher(session, person), plan))
        return {"version": plan.version, "agreed_by": plan.agreed_by, "agreed_at": plan.agreed_at.isoformat()}

    @rpc
    def list_plans(self, beneficiary_id, purpose="accompaniment"):
        actor = self.caller.authorize("beneficiary.read")
        with self.db.transaction() as session:
            person = self._person(session, beneficiary_id)
            self._audit(session, actor, "beneficiary.plans", person.id, purpose)
            plans = session.scalars(
                select(PlanVersion).where(PlanVersion.beneficiary_id == person.id).order_by(PlanVersion.version)
            ).all()
            return [
                {
                    "version": p.version,
                    "target_occupations": p.target_occupations,
                    "missing_competences": p.missing_competences,
                    "actions": p.actions,
                    "contract_wishes": p.contract_wishes,
                    "hours_wish": p.hours_wish,
                    "mobility_km": p.mobility_km,
                    "available_from": p.available_from and p.available_from.isoformat(),
                    "agreed_by": p.agreed_by,
                    "agreed_at": p.agreed_at.isoformat(),
                }
                for p in plans
            ]

    # -- pathway ---------------------------------------------------------
    @rpc
    def move_stage(self, beneficiary_id, payload):
        """Move along the path: skips and returns allowed; a dropped-out person re-enters."""
        data = inputs.load(schemas.StageMoveSchema(), payload)
        with self._change("beneficiary.move_stage", beneficiary_id) as (actor, session, person):
            try:
                domain.check_stage_move(person.status, person.stage, data["to"])
            except domain.TransitionRefused as exc:
                raise ValidationFailed({"to": [str(exc)]}) from None
            kind = "reentered" if person.status == DROPPED_OUT else "moved"
            before = person.stage
            session.add(
                StageTransition(
                    beneficiary_id=person.id,
                    from_stage=before,
                    to_stage=data["to"],
                    kind=kind,
                    why=data["why"],
                    at=inputs.now(),
                    by=actor.sub,
                    role=",".join(actor.roles)[:30],
                )
            )
            person.stage, person.status = data["to"], ACTIVE
            self._emit(
                session, events.stage_changed(self._publisher(session, person), before, data["to"], kind, date.today())
            )
        return {"stage": person.stage, "status": person.status}

    @rpc
    def drop_out(self, beneficiary_id, payload):
        data = inputs.load(schemas.DropOutSchema(), payload)
        with self._change("beneficiary.move_stage", beneficiary_id) as (actor, session, person):
            try:
                domain.check_dropout(person.status)
            except domain.TransitionRefused as exc:
                raise ValidationFailed({"status": [str(exc)]}) from None
            session.add(
                StageTransition(
                    beneficiary_id=person.id,
                    from_stage=person.stage,
                    to_stage=person.stage,
                    kind="dropped_out",
                    reason=data["reason"],
                    why=data["why"],
                    at=inputs.now(),
                    by=actor.sub,
                    role=",".join(actor.roles)[:30],
                )
            )
            person.status = DROPPED_OUT
            self._emit(
                session,
                events.dropped_out(self._publisher(session, person), person.stage, data["reason"], date.today()),
            )
        return {"stage": person.stage, "status": person.status}

    @rpc
    def get_pathway(self, beneficiary_id, purpose="accompaniment"):
        actor = self.caller.authorize("beneficiary.read")
        with self.db.transaction() as session:
            person = self._person(session, beneficiary_id)
            self._audit(session, actor, "beneficiary.pathway", person.id, purpose)
            steps = session.scalars(
                select(StageTransition).where(StageTransition.beneficiary_id == person.id).order_by(StageTransition.id)
            ).all()
            return {
                "stage": person.stage,
                "status": person.status,
                "transitions": [
                    {
                        "from": s.from_stage,
                        "to": s.to_stage,
                        "kind": s.kind,
                        "reason": s.reason,
                        "why": s.why,
                        "at": s.at.isoformat(),
                        "by": s.by,
                        "role": s.role,
                    }
                    for s in steps
                ],
            }

    # -- accompaniment notes ---------------------------------------------
    @rpc
    def add_note(self, beneficiary_id, payload):
        data = inputs.load(schemas.NoteSchema(), payload)
        actor = self.caller.authorize(f"beneficiary.notes.{data['kind']}")
        with self.db.transaction() as session:
            person = self._person(session, beneficiary_id)
            note = Note(
                id=str(uuid.uuid4()),
                beneficiary_id=person.id,
                kind=data["kind"],
                text=data["text"],
                author=actor.sub,
                at=inputs.now(),
            )
            session.add(note)
            self._audit(session, actor, f"beneficiary.notes.{data['kind']}.write", person.id)
        return {"id": note.id, "kind": note.kind, "at": note.at.isoformat()}

    @rpc
    def list_notes(self, beneficiary_id, kind, purpose="accompaniment"):
        if kind not in ("social", "pedagogical"):
            raise ValidationFailed({"kind": ["must be social or pedagogical"]})
        actor = self.caller.authorize(f"beneficiary.notes.{kind}")
        with self.db.transaction() as session:
            person = self._person(session, beneficiary_id)
            self._audit(session, actor, f"beneficiary.notes.{kind}.read", person.id, purpose)
            notes = session.scalars(
                select(Note).where(Note.beneficiary_id == person.id, Note.kind == kind).order_by(Note.at)
            ).all()
            return [
                {"id": n.id, "kind": n.kind, "text": n.text, "author": n.author, "at": n.at.isoformat()} for n in notes
            ]

    # -- outcomes --------------------------------------------------------
    @rpc
    def known_beneficiaries(self, ids):
        """Which of these references name a person of this Mission (kit.references; existence only)."""
        self.caller.authorize("beneficiary.reference")
        with self.db.session() as session:
            return known(
                ids,
                lambda asked: {
                    i: None for i in session.scalars(select(Beneficiary.id).where(Beneficiary.id.in_(asked)))
                },
            )

    @rpc
    def record_contract(self, beneficiary_id, payload):
        """The first contract signed; schedules the six-month check."""
        self.caller.authorize("beneficiary.record_outcome")
        data = inputs.load(schemas.ContractSchema(), payload)
        check([Ref("employer_id", "employer", data["employer_id"])], rpc_lookup({"employer": self.employer}))
        with self._change("beneficiary.record_outcome", beneficiary_id) as (_, session, person):
            if data["signed_on"] < person.registered_on:
                raise ValidationFailed({"signed_on": ["is before the intake"]})
            if session.get(Contract, person.id) is not None:
                raise Conflict("a first contract is already recorded", person.id)
            contract = Contract(
                beneficiary_id=person.id, check_due=domain.six_month_check_due(data["signed_on"]), **data
            )
            session.add(contract)
            session.flush()
            self._emit(session, events.contract_signed(self._publisher(session, person), contract))
        return _contract(contract)

    @rpc
    def record_six_month_check(self, beneficiary_id, payload):
        data = inputs.load(schemas.FollowUpSchema(), payload)
        with self._change("beneficiary.record_outcome", beneficiary_id) as (_, session, person):
            contract = session.get(Contract, person.id)
            if contract is None:
                raise ValidationFailed({"beneficiary": ["no first contract recorded"]})
            if contract.checked_on is not None:
                raise Conflict("the six-month check is already recorded", person.id)
            if data["checked_on"] < contract.check_due:
                raise ValidationFailed({"checked_on": [f"the check is due from {contract.check_due.isoformat()}"]})
            contract.checked_on, contract.still_employed, contract.check_source = (
                data["checked_on"],
                data["still_employed"],
                data["source"],
            )
            self._emit(session, events.six_month_outcome(self._publisher(session, person), contract))
        return _contract(contract)

    @rpc
    def exit_path(self, beneficiary_id, payload):
        data = inputs.load(schemas.ExitSchema(), payload)
        with self._change("beneficiary.record_outcome", beneficiary_id) as (actor, session, person):
            if person.status == EXITED:
                raise ValidationFailed({"status": ["already exited"]})
            session.add(
                StageTransition(
                    beneficiary_id=person.id,
                    from_stage=person.stage,
                    to_stage=person.stage,
                    kind="exited",
                    reason=data["reason"],
                    why=data["why"],
                    at=inputs.now(),
                    by=actor.sub,
                    role=",".join(actor.roles)[:30],
                )
            )
            person.status = EXITED
            self._emit(session, events.exited(self._publisher(session, person), data["reason"], date.today()))
        return {"status": person.status}

    # -- erasure ---------------------------------------------------------
    @rpc
    def erase(self, beneficiary_id):
        """Remove the person here, keep statistical residue, and tell the Mission's services to forget."""
        actor = self.caller.authorize("beneficiary.erase")
        with self.db.transaction() as session:
            person = self._person(session, beneficiary_id)
            pub = self._publisher(session, person)
            session.add(
                ErasureResidue(
                    registered_month=person.registered_on.strftime("%Y-%m"),
                    erased_month=date.today().strftime("%Y-%m"),
                    age_band=domain.age_band(person.birth_date, person.registered_on),
                    gender=person.gender,
                    municipality=person.municipality,
                    last_stage=person.stage,
                    status=person.status,
                )
            )
            references = [person.id, person.pseudonym] + [
                d.agency_reference for d in pub.disclosures if d.agency_reference
            ]
            # Published events hold references only, but once sent they serve no one: drop them too.
            session.execute(
                delete(outbox_table).where(
                    outbox_table.c.sent_at.is_not(None),
                    or_(*[outbox_table.c.payload.contains(ref) for ref in references]),
                )
            )
            for model in (Note, Assessment, PlanVersion, StageTransition, Contract, TargetGroup, Disclosure):
                session.execute(delete(model).where(model.beneficiary_id == person.id))
            session.execute(delete(FollowedElsewhere).where(FollowedElsewhere.pseudonym == person.pseudonym))
            self._emit(session, events.erased(pub))
            session.delete(person)
            self._audit(session, actor, "beneficiary.erase", beneficiary_id, "erasure")
        return {"erased": beneficiary_id}


def _contract(contract: Contract) -> dict:
    return {
        "signed_on": contract.signed_on.isoformat(),
        "employer_id": contract.employer_id,
        "contract_type": contract.contract_type,
        "hours_per_week": contract.hours_per_week,
        "check_due": contract.check_due.isoformat(),
        "checked_on": contract.checked_on and contract.checked_on.isoformat(),
        "still_employed": contract.still_employed,
    }
