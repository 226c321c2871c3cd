"""Matching service entrypoints: keep matching's view from events, rank both ways, run proposals.

Handlers load each event's data through its schema and apply it once (``db.once``, or ``db.once_each`` for
the assessments, taken in batches); an event that fails its schema is retried and then dead-lettered by
the kit (it cannot succeed later, but the dead letter keeps it for an operator). RPCs check the caller and
load their arguments through a schema; what each does is in ``matching.application``, and the ranking runs
off the event loop (``matching.index``). Proposal events go to the outbox in the transaction that moved
the proposal.
"""

from __future__ import annotations

from contracts import internal
from contracts.catalogue import load
from kit import inputs
from kit.actor import Caller
from kit.application import SystemClock, to_outbox
from kit.consumer import event_handler
from kit.errors import NotFound
from kit.rpc import rpc
from kit.service import ServiceBase
from matching import application as app
from matching import domain, schemas
from matching.index import MatchIndex, job_of, person_of

B, E = "be.mire.beneficiary.", "be.mire.employer."
CLOCK = SystemClock()


class MatchingService(ServiceBase):
    name = "matching"
    caller = Caller()
    index = MatchIndex()

    # -- matching's view of people ---------------------------------------
    @event_handler(B + "assessed.v1", batch=500)
    def on_assessed(self, events):
        """Assessments come in bursts (a campaign, an import, a replay): applied a batch at a time."""
        loaded = {event.id: load(event, internal.BeneficiaryAssessedV1) for event in events}
        with self.db.once_each(events) as (session, fresh):
            app.apply_assessments(session, CLOCK, [loaded[event.id] for event in fresh])

    @event_handler(B + "plan_agreed.v1")
    def on_plan_agreed(self, event):
        data = load(event, internal.BeneficiaryPlanAgreedV1)
        with self.db.once(event) as session:
            if session is not None:
                app.apply_plan(session, CLOCK, data)

    @event_handler(B + "contract_signed.v1")
    def on_contract_signed(self, event):
        data = load(event, internal.BeneficiaryContractSignedV1)
        with self.db.once(event) as session:
            if session is not None:
                to_outbox(session, app.record_placement(session, CLOCK, self.site.source, data))

    @event_handler(B + "erased.v1")
    def on_erased(self, event):
        """Forget the person: their row and their proposals; remember only that the reference is erased."""
        data = load(event, internal.BeneficiaryErasedV1)
        with self.db.once(event) as session:
            if session is not None:
                app.forget(session, data.beneficiary_id)

    # -- matching's view of vacancies ------------------------------------
    def _vacancy(self, event):
        data = load(event, (internal.VacancyOpenedV1, internal.VacancyUpdatedV1))
        with self.db.once(event) as session:
            if session is not None:
                app.apply_vacancy(session, CLOCK, data, self.index.taxonomy.occupations)

    @event_handler(E + "vacancy_opened.v1")
    def on_vacancy_opened(self, event):
        self._vacancy(event)

    @event_handler(E + "vacancy_updated.v1")
    def on_vacancy_updated(self, event):
        self._vacancy(event)

    @event_handler(E + "vacancy_filled.v1")
    def on_vacancy_filled(self, event):
        """One post filled: a vacancy of several posts stays open until its last (``domain.last_post``)."""
        data = load(event, internal.VacancyFilledV1)
        with self.db.once(event) as session:
            if session is not None:
                to_outbox(session, app.post_filled(session, CLOCK, self.site.source, data))

    @event_handler(E + "vacancy_closed.v1")
    def on_vacancy_closed(self, event):
        data = load(event, internal.VacancyClosedV1)
        with self.db.once(event) as session:
            if session is not None:
                closed = app.vacancy_ends(session, CLOCK, self.site.source, data.vacancy_id, domain.VACANCY_CLOSED)
                to_outbox(session, closed)

    # -- taxonomy and ranking --------------------------------------------
    @rpc
    def suggest_occupations(self, title, limit=5):
        """Job title → ROME occupations, best first: [{code, label, score}]."""
        self.caller.authorize("matching.read")
        args = inputs.load(schemas.SuggestArgs(), {"title": title, "limit": limit})
        found = self.index.run(self.index.titles().suggest, args["title"], args["limit"])
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
        competences = [{"code": c, "label": tax.competences[c]} for c in found.competences]
        return {"code": found.code, "label": found.label, "competences": competences}

    @rpc
    def rank_candidates(self, vacancy_id, limit=20):
        """The best people for a vacancy with a post still open, each with its explanation."""
        self.caller.authorize("matching.read")
        args = inputs.load(schemas.RankCandidatesArgs(), {"vacancy_id": vacancy_id, "limit": limit})
        with self.db.session() as session:
            row, active = app.vacancy_to_rank(session, args["vacancy_id"])
            engine = self.index.engine(session)
        return self.index.run(engine.rank_candidates, job_of(row), args["limit"], active)

    @rpc
    def rank_vacancies(self, beneficiary_id, limit=20):
        """The best open vacancies for a person, each with its explanation."""
        self.caller.authorize("matching.read")
        args = inputs.load(schemas.RankVacanciesArgs(), {"beneficiary_id": beneficiary_id, "limit": limit})
        with self.db.session() as session:
            row, active = app.person_to_place(session, args["beneficiary_id"])
            engine = self.index.engine(session)
        return self.index.run(engine.rank_vacancies, person_of(row), args["limit"], active)

    # -- proposals -------------------------------------------------------
    @rpc
    def propose(self, vacancy_id, beneficiary_id):
        actor = self.caller.authorize("matching.propose")
        args = inputs.load(schemas.ProposeArgs(), {"vacancy_id": vacancy_id, "beneficiary_id": beneficiary_id})
        with self.db.transaction() as session:
            return app.proposal_answer(to_outbox(session, app.propose(session, actor, CLOCK, self.site.source, args)))

    @rpc
    def move_proposal(self, proposal_id, to, reason=None):
        actor = self.caller.authorize("matching.propose")
        args = inputs.load(schemas.MoveArgs(), {"proposal_id": proposal_id, "to": to, "reason": reason})
        with self.db.transaction() as session:
            moved = app.move_proposal(session, actor, CLOCK, self.site.source, args)
            return app.proposal_answer(to_outbox(session, moved))

    @rpc
    def get_proposal(self, proposal_id):
        self.caller.authorize("matching.read")
        with self.db.session() as session:
            return app.read_proposal(session, proposal_id)

    @rpc
    def list_proposals(self, vacancy_id=None, beneficiary_id=None, limit=50):
        self.caller.authorize("matching.read")
        args = inputs.load(
            schemas.ListArgs(), {"vacancy_id": vacancy_id, "beneficiary_id": beneficiary_id, "limit": limit}
        )
        with self.db.session() as session:
            return app.list_proposals(session, args)
