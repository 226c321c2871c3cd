"""Matching service entrypoints: keep matching's view from events, rank both ways, run proposals.

Handlers apply each event once (``db.once``, or ``db.once_each`` for the
assessments, taken in batches) and read its data tolerantly;
an event that fails its schema is retried and then dead-lettered by the kit
(it cannot succeed later, but the dead letter keeps it for an operator).
RPCs check the caller, load their arguments through a schema, and run the
ranking off the event loop (``matching.index``).
"""

from __future__ import annotations

import logging
import uuid

import msgspec
from nameko.rpc import rpc
from sqlalchemy import delete, insert, select

from contracts import internal
from contracts.payloads import load
from kit import inputs, outbox
from kit.actor import Caller
from kit.consumer import event_handler
from kit.errors import Conflict, NotFound, ValidationFailed
from kit.service import ServiceBase
from matching import domain, schemas
from matching.events import proposal_step
from matching.index import MatchIndex, job_of, person_of
from matching.models import Candidate, ErasedCandidate, Proposal, ProposalStep, Vacancy

log = logging.getLogger(__name__)
B, E = "be.mire.beneficiary.", "be.mire.employer."


def _proposal(p: Proposal) -> dict:
    return {
        "id": p.id,
        "vacancy_id": p.vacancy_id,
        "beneficiary_id": p.beneficiary_id,
        "state": p.state,
        "reason": p.reason,
        "created_at": p.created_at.isoformat(),
        "updated_at": p.updated_at.isoformat(),
    }


class MatchingService(ServiceBase):
    name = "matching"
    caller = Caller()
    index = MatchIndex()

    # -- matching's view of people ---------------------------------------
    def _candidate(self, session, beneficiary_id: str) -> Candidate | None:
        """The person's row, created on first news; None when the person was erased."""
        return self._candidates(session, {beneficiary_id})[beneficiary_id]

    def _candidates(self, session, beneficiary_ids: set[str]) -> dict[str, Candidate | None]:
        """Each person's row in two queries, created on first news; None for those erased."""
        rows, erased = self._known(session, beneficiary_ids)
        for ref in beneficiary_ids - erased - rows.keys():
            rows[ref] = Candidate(
                beneficiary_id=ref, competences=[], target_occupations=[], contract_wishes=[], changed_at=inputs.now()
            )
            session.add(rows[ref])
        return {ref: rows.get(ref) for ref in beneficiary_ids}

    @staticmethod
    def _known(session, beneficiary_ids: set[str]) -> tuple[dict[str, Candidate], set[str]]:
        """The rows of the people matching already knows, and those of them erased (who have none)."""
        erased = set(
            session.scalars(
                select(ErasedCandidate.beneficiary_id).where(ErasedCandidate.beneficiary_id.in_(beneficiary_ids))
            )
        )
        rows = {
            row.beneficiary_id: row
            for row in session.scalars(select(Candidate).where(Candidate.beneficiary_id.in_(beneficiary_ids - erased)))
        }
        return rows, erased

    @event_handler(B + "assessed.v1", batch=500)
    def on_assessed(self, events):
        """Assessments come in bursts (a campaign, an import, a replay): applied a batch at a time.

        The latest assessment of each person in the batch wins, and an older one arriving late is ignored.
        People seen for the first time (most of a campaign) are inserted with one multi-row INSERT rather than
        as ORM objects, a third of the handler's time; known people are updated through their rows.
        """
        loaded = {event.id: load(event, internal.BeneficiaryAssessedV1) for event in events}
        with self.db.once_each(events) as (session, fresh):
            latest: dict[str, internal.BeneficiaryAssessedV1] = {}
            for event in fresh:
                data = loaded[event.id]
                held = latest.get(data.beneficiary_id)
                if held is None or held.assessed_on <= data.assessed_on:
                    latest[data.beneficiary_id] = data
            rows, erased = self._known(session, set(latest))
            now, new = inputs.now(), []
            for ref, data in latest.items():
                competences = [{"code": c.code, "level": c.level, "kind": c.kind} for c in data.competences]
                row = rows.get(ref)
                if ref in erased or (row is not None and row.assessed_on and row.assessed_on > data.assessed_on):
                    continue
                if row is None:
                    new.append(
                        {
                            "beneficiary_id": ref,
                            "municipality": data.municipality,
                            "assessed_on": data.assessed_on,
                            "competences": competences,
                            "target_occupations": [],
                            "contract_wishes": [],
                            "changed_at": now,
                        }
                    )
                    continue
                row.assessed_on, row.competences, row.changed_at = data.assessed_on, competences, now
                row.municipality = data.municipality or row.municipality
            if new:
                # Core, not the ORM's bulk insert: the same statement without its per-row bookkeeping.
                session.connection().execute(insert(Candidate.__table__), new)

    @event_handler(B + "plan_agreed.v1")
    def on_plan_agreed(self, event):
        data = load(event, internal.BeneficiaryPlanAgreedV1)
        with self.db.once(event) as session:
            if session is None:
                return
            row = self._candidate(session, data.beneficiary_id)
            if row is None or (row.plan_version is not None and row.plan_version > data.version):
                return
            row.plan_version = data.version
            for key in ("target_occupations", "contract_wishes", "hours_wish", "mobility_km", "available_from"):
                setattr(row, key, getattr(data, key))
            row.municipality = data.municipality or row.municipality
            row.changed_at = inputs.now()

    @event_handler(B + "contract_signed.v1")
    def on_contract_signed(self, event):
        data = load(event, internal.BeneficiaryContractSignedV1)
        with self.db.once(event) as session:
            if session is None:
                return
            row = self._candidate(session, data.beneficiary_id)
            if row is None:
                return
            row.placed_on = data.signed_on
            row.changed_at = inputs.now()
            self._withdraw_all(session, Proposal.beneficiary_id == row.beneficiary_id, "placed")

    @event_handler(B + "erased.v1")
    def on_erased(self, event):
        """Forget the person: their row and their proposals; remember only that the reference is erased."""
        data = load(event, internal.BeneficiaryErasedV1)
        with self.db.once(event) as session:
            if session is None:
                return
            ref = data.beneficiary_id
            ids = list(session.scalars(select(Proposal.id).where(Proposal.beneficiary_id == ref)))
            if ids:
                session.execute(delete(ProposalStep).where(ProposalStep.proposal_id.in_(ids)))
                session.execute(delete(Proposal).where(Proposal.id.in_(ids)))
            session.execute(delete(Candidate).where(Candidate.beneficiary_id == ref))
            session.merge(ErasedCandidate(beneficiary_id=ref))

    # -- matching's view of vacancies ------------------------------------
    def _vacancy(self, event):
        data = load(event, (internal.VacancyOpenedV1, internal.VacancyUpdatedV1))
        with self.db.once(event) as session:
            if session is None:
                return
            row = session.get(Vacancy, data.vacancy_id)
            if row is None:
                row = Vacancy(vacancy_id=data.vacancy_id, status="open")
                session.add(row)
            if row.status != "open":
                return  # a late update never reopens a filled or closed vacancy
            if data.occupation not in self.index.taxonomy.occupations:
                log.warning(
                    "vacancy %s: occupation %s is not in the taxonomy; ranked on competences only",
                    data.vacancy_id,
                    data.occupation,
                )
            for key in (
                "employer_id",
                "occupation",
                "title",
                "contract_type",
                "hours_per_week",
                "municipality",
                "posts",
                "start_date",
            ):
                setattr(row, key, getattr(data, key))
            row.competences = [msgspec.structs.asdict(c) for c in data.competences]
            row.changed_at = inputs.now()

    @event_handler(E + "vacancy_opened.v1")
    def on_vacancy_opened(self, event):
        self._vacancy(event)

    @event_handler(E + "vacancy_updated.v1")
    def on_vacancy_updated(self, event):
        self._vacancy(event)

    def _vacancy_ends(self, event, status: str):
        data = load(event, (internal.VacancyFilledV1, internal.VacancyClosedV1))
        with self.db.once(event) as session:
            if session is None:
                return
            row = session.get(Vacancy, data.vacancy_id)
            if row is None:
                # Closed before matching heard of it: remember, so a late "opened" cannot revive it.
                row = Vacancy(
                    vacancy_id=data.vacancy_id, employer_id="", occupation="", title="", competences=[], posts=0
                )
                session.add(row)
            row.status, row.changed_at = status, inputs.now()
            self._withdraw_all(session, Proposal.vacancy_id == row.vacancy_id, f"vacancy_{status}")

    @event_handler(E + "vacancy_filled.v1")
    def on_vacancy_filled(self, event):
        self._vacancy_ends(event, "filled")

    @event_handler(E + "vacancy_closed.v1")
    def on_vacancy_closed(self, event):
        self._vacancy_ends(event, "closed")

    def _withdraw_all(self, session, where, reason: str) -> None:
        for p in session.scalars(select(Proposal).where(where, Proposal.state.in_(domain.ACTIVE))):
            self._move(session, p, domain.WITHDRAWN, reason, actor="matching")

    # -- taxonomy and ranking --------------------------------------------
    @rpc
    def suggest_occupations(self, title, limit=5):
        """Job title → ROME occupations, best first: [{code, label, score}]."""
        self.caller.authorize("matching.read")
        args = inputs.load(schemas.SuggestArgs(), {"title": title, "limit": limit})
        titles = self.index.titles()
        found = self.index.run(titles.suggest, args["title"], args["limit"])
        occ = self.index.taxonomy.occupations
        return [{"code": code, "label": occ[code].label, "score": score} for code, score in found]

    @rpc
    def occupation(self, code):
        """An occupation of the taxonomy with its competences (what a vacancy's profile starts from)."""
        self.caller.authorize("matching.read")
        args = inputs.load(schemas.OccupationArgs(), {"code": code})
        tax = self.index.taxonomy
        found = tax.occupation(args["code"])
        if found is None:
            raise NotFound("occupation", args["code"])
        return {
            "code": found.code,
            "label": found.label,
            "competences": [{"code": c, "label": tax.competences[c]} for c in found.competences],
        }

    @rpc
    def rank_candidates(self, vacancy_id, limit=20):
        """The best people for an open vacancy, each with its explanation."""
        self.caller.authorize("matching.read")
        args = inputs.load(schemas.RankCandidatesArgs(), {"vacancy_id": vacancy_id, "limit": limit})
        with self.db.session() as session:
            row = session.get(Vacancy, args["vacancy_id"])
            if row is None or not row.employer_id:
                raise NotFound("vacancy", args["vacancy_id"])
            if row.status != "open":
                raise Conflict(f"the vacancy is {row.status}", row.vacancy_id)
            engine = self.index.engine(session)
            active = self._active_refs(session, Proposal.vacancy_id == row.vacancy_id, Proposal.beneficiary_id)
        return self.index.run(engine.rank_candidates, job_of(row), args["limit"], active)

    @rpc
    def rank_vacancies(self, beneficiary_id, limit=20):
        """The best open vacancies for a person, each with its explanation."""
        self.caller.authorize("matching.read")
        args = inputs.load(schemas.RankVacanciesArgs(), {"beneficiary_id": beneficiary_id, "limit": limit})
        with self.db.session() as session:
            row = session.get(Candidate, args["beneficiary_id"])
            if row is None:
                raise NotFound("beneficiary", args["beneficiary_id"])
            if row.placed_on is not None:
                raise Conflict("the person is placed", row.beneficiary_id)
            engine = self.index.engine(session)
            active = self._active_refs(session, Proposal.beneficiary_id == row.beneficiary_id, Proposal.vacancy_id)
        return self.index.run(engine.rank_vacancies, person_of(row), args["limit"], active)

    @staticmethod
    def _active_refs(session, where, column) -> list[str]:
        # Pairs already in a live proposal are not suggested again.
        return list(session.scalars(select(column).where(where, Proposal.state.in_(domain.ACTIVE))))

    # -- proposals -------------------------------------------------------
    @rpc
    def propose(self, vacancy_id, beneficiary_id):
        """Propose a person for a vacancy (state ``proposed``)."""
        actor = self.caller.authorize("matching.propose")
        args = inputs.load(schemas.ProposeArgs(), {"vacancy_id": vacancy_id, "beneficiary_id": beneficiary_id})
        with self.db.transaction() as session:
            # References are judged by matching's own read model of the Mission's vacancies and candidates
            # (fed by their events; kit.references says why matching differs): 422 by field, as elsewhere.
            vacancy = session.get(Vacancy, args["vacancy_id"])
            person = session.get(Candidate, args["beneficiary_id"])
            errors = {}
            if vacancy is None or not vacancy.employer_id:
                errors["vacancy_id"] = ["no vacancy of an employer with this reference in this Mission"]
            if person is None:
                errors["beneficiary_id"] = [
                    "no person with this reference known to matching in this Mission "
                    "(an assessment or a plan makes one known)"
                ]
            if errors:
                raise ValidationFailed(errors)
            if vacancy.status != "open":
                raise Conflict(f"the vacancy is {vacancy.status}", vacancy.vacancy_id)
            if person.placed_on is not None:
                raise Conflict("the person is placed", person.beneficiary_id)
            existing = session.scalars(
                select(Proposal.id).where(
                    Proposal.vacancy_id == vacancy.vacancy_id,
                    Proposal.beneficiary_id == person.beneficiary_id,
                    Proposal.state.in_(domain.ACTIVE),
                )
            ).first()
            if existing:
                raise Conflict("this person is already proposed for this vacancy", existing)
            at = inputs.now()
            proposal = Proposal(
                id=str(uuid.uuid4()),
                vacancy_id=vacancy.vacancy_id,
                beneficiary_id=person.beneficiary_id,
                state=domain.PROPOSED,
                created_at=at,
                updated_at=at,
            )
            session.add(proposal)
            session.add(
                ProposalStep(proposal_id=proposal.id, from_state=None, to_state=domain.PROPOSED, at=at, actor=actor.sub)
            )
            outbox.add(session, proposal_step(self.site.source, proposal, domain.PROPOSED, at))
            return _proposal(proposal)

    @rpc
    def move_proposal(self, proposal_id, to, reason=None):
        """One step of a proposal: presented, interview, hired, rejected (reason required) or withdrawn."""
        actor = self.caller.authorize("matching.propose")
        args = inputs.load(schemas.MoveArgs(), {"proposal_id": proposal_id, "to": to, "reason": reason})
        if args["to"] in domain.NEEDS_REASON and not args["reason"]:
            raise ValidationFailed({"reason": [f"a proposal {args['to']} needs a reason"]})
        with self.db.transaction() as session:
            proposal = session.get(Proposal, args["proposal_id"])
            if proposal is None:
                raise NotFound("proposal", args["proposal_id"])
            refused = domain.transition_error(proposal.state, args["to"])
            if refused:
                raise Conflict(refused, proposal.id)
            self._move(session, proposal, args["to"], args["reason"], actor.sub)
            return _proposal(proposal)

    def _move(self, session, proposal: Proposal, to: str, reason: str | None, actor: str | None) -> None:
        at = inputs.now()
        session.add(
            ProposalStep(
                proposal_id=proposal.id, from_state=proposal.state, to_state=to, at=at, actor=actor, reason=reason
            )
        )
        proposal.state, proposal.reason, proposal.updated_at = to, reason, at
        outbox.add(session, proposal_step(self.site.source, proposal, to, at, reason))

    @rpc
    def get_proposal(self, proposal_id):
        self.caller.authorize("matching.read")
        with self.db.session() as session:
            proposal = session.get(Proposal, proposal_id) if isinstance(proposal_id, str) else None
            if proposal is None:
                raise NotFound("proposal", str(proposal_id))
            steps = session.scalars(
                select(ProposalStep).where(ProposalStep.proposal_id == proposal.id).order_by(ProposalStep.id)
            )
            return dict(
                _proposal(proposal),
                steps=[
                    {"from": s.from_state, "to": s.to_state, "at": s.at.isoformat(), "by": s.actor, "reason": s.reason}
                    for s in steps
                ],
            )

    @rpc
    def list_proposals(self, vacancy_id=None, beneficiary_id=None, limit=50):
        """Proposals of a vacancy or of a person, newest first (one of the two is required)."""
        self.caller.authorize("matching.read")
        args = inputs.load(
            schemas.ListArgs(), {"vacancy_id": vacancy_id, "beneficiary_id": beneficiary_id, "limit": limit}
        )
        if not args["vacancy_id"] and not args["beneficiary_id"]:
            raise ValidationFailed({"vacancy_id": ["give a vacancy_id or a beneficiary_id"]})
        query = select(Proposal).order_by(Proposal.created_at.desc(), Proposal.id).limit(args["limit"])
        if args["vacancy_id"]:
            query = query.where(Proposal.vacancy_id == args["vacancy_id"])
        if args["beneficiary_id"]:
            query = query.where(Proposal.beneficiary_id == args["beneficiary_id"])
        with self.db.session() as session:
            return [_proposal(p) for p in session.scalars(query)]
