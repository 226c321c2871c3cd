"""Matching service entrypoints: keep matching's view from events, rank both ways, run proposals.

Handlers load each event's data through its contract class and apply it once (``kit.entrypoint.once``, or
``db.once_each`` for the assessments, taken in batches); an event outside its contract is retried and then
dead-lettered by the kit (it cannot succeed later, but the dead letter keeps it for an operator). RPCs are
each a spec (``kit.entrypoint``: the caller checked, the arguments loaded through a schema) and the use case
of ``matching.application`` they call; the ranking runs off the event loop (``matching.index``). Proposal
events go to the outbox in the transaction that moved the proposal.
"""

from __future__ import annotations

from contracts import internal
from contracts.catalogue import load
from kit.actor import Caller
from kit.consumer import event_handler
from kit.entrypoint import entrypoint, once
from kit.errors import NotFound
from kit.service import ServiceBase
from kit.subject_access import person_ref
from matching import access, domain, gaps, schemas
from matching import application as app
from matching.index import MatchIndex, job_of, person_of


class MatchingService(ServiceBase):
    name = "matching"
    caller = Caller()
    index = MatchIndex()

    # -- matching's view of people ---------------------------------------
    @event_handler(internal.BeneficiaryAssessedV1.TYPE, batch=500)
    def on_assessed(self, events):
        """Assessments come in bursts (a campaign, an import, a replay): applied a batch at a time."""
        loaded = {event.id: load(event, internal.BeneficiaryAssessedV1) for event in events}
        with self.db.once_each(events) as (session, fresh):
            app.apply_assessments(session, self.clock, [loaded[event.id] for event in fresh])

    @once(internal.BeneficiaryPlanAgreedV1)
    def on_plan_agreed(self, data):
        app.apply_plan(self.unit.session, self.clock, data)

    @once(internal.BeneficiaryContractSignedV1)
    def on_contract_signed(self, data):
        return app.record_placement(self.unit.session, self.clock, self.unit.source, data)

    @once(internal.BeneficiaryReopenedV1)
    def on_reopened(self, data):
        """A person who left came back (a new episode): a candidate again, whatever the last episode ended in."""
        app.apply_return(self.unit.session, self.clock, data)

    @once(internal.BeneficiaryErasedV1)
    def on_erased(self, data):
        """Forget the person: their row and their proposals; remember only that the reference is erased."""
        app.forget(self.unit.session, data.beneficiary_id)

    @once(internal.BeneficiaryMergedV1)
    def on_merged(self, data):
        """A provisional file merged: its proposals follow the kept file, its candidate row goes."""
        app.merge(self.unit.session, data.beneficiary_id, data.into)

    # -- matching's view of vacancies ------------------------------------
    @once(internal.VacancyOpenedV1)
    def on_vacancy_opened(self, data):
        app.apply_vacancy(self.unit.session, self.clock, data, self.index.taxonomy.occupations)

    @once(internal.VacancyUpdatedV1)
    def on_vacancy_updated(self, data):
        app.apply_vacancy(self.unit.session, self.clock, data, self.index.taxonomy.occupations)

    @once(internal.VacancyFilledV1)
    def on_vacancy_filled(self, data):
        """One post filled: a vacancy of several posts stays open until its last (``domain.last_post``)."""
        return app.post_filled(self.unit.session, self.clock, self.unit.source, data)

    @once(internal.VacancyClosedV1)
    def on_vacancy_closed(self, data):
        return app.vacancy_ends(self.unit.session, self.clock, self.unit.source, data.vacancy_id, domain.VACANCY_CLOSED)

    # -- taxonomy and ranking --------------------------------------------
    @entrypoint("matching.read", reads=True, args=schemas.SuggestArgs)
    def suggest_occupations(self, title, limit=5):
        """Job title → ROME occupations, best first: [{code, label, score}]."""
        found = self.index.run(self.index.titles().suggest, title, limit)
        occ = self.index.taxonomy.occupations
        return [{"code": code, "label": occ[code].label, "score": score} for code, score in found]

    @entrypoint("matching.read", reads=True, args=schemas.OccupationArgs)
    def occupation(self, code):
        """An occupation of the taxonomy with its competences (what a vacancy's profile starts from)."""
        tax = self.index.taxonomy
        found = tax.occupation(code)
        if found is None:
            raise NotFound("occupation", code)
        competences = [{"code": c, "label": tax.competences[c]} for c in found.competences]
        return {"code": found.code, "label": found.label, "competences": competences}

    @entrypoint("matching.read", reads=True, args=schemas.RankCandidatesArgs)
    def rank_candidates(self, vacancy_id, limit=20):
        """The best people for a vacancy with a post still open, each with its explanation."""
        row, active = app.vacancy_to_rank(self.unit.session, vacancy_id)
        engine = self.index.engine(self.unit.session)
        self.unit.session.close()  # the ranking runs off the hub (index.run) holding no connection
        return self.index.run(engine.rank_candidates, job_of(row), limit, active)

    @entrypoint("matching.read", reads=True, args=schemas.RankVacanciesArgs)
    def rank_vacancies(self, beneficiary_id, limit=20):
        """The best open vacancies for a person, each with its explanation."""
        row, active = app.person_to_place(self.unit.session, beneficiary_id)
        engine = self.index.engine(self.unit.session)
        self.unit.session.close()  # the ranking runs off the hub (index.run) holding no connection
        return self.index.run(engine.rank_vacancies, person_of(row), limit, active)

    @entrypoint("matching.read", reads=True, args=schemas.GapsArgs)
    def explain_gaps(self, beneficiary_id, vacancy_id=None, proposal_id=None, occupation=None):
        """What the person lacks for a vacancy, a proposal's vacancy or an occupation, in the explanation's words."""
        asked = {"beneficiary_id": beneficiary_id, "vacancy_id": vacancy_id, "proposal_id": proposal_id}
        return gaps.explain(self.unit.session, self.index.taxonomy, self.index.tell, asked | {"occupation": occupation})

    # -- proposals -------------------------------------------------------
    @entrypoint("matching.propose", args=schemas.ProposeArgs, answer=lambda _, proposal: app.proposal_answer(proposal))
    def propose(self, vacancy_id, beneficiary_id):
        return app.propose(*self.unit, {"vacancy_id": vacancy_id, "beneficiary_id": beneficiary_id})

    @entrypoint("matching.propose", args=schemas.MoveArgs, answer=lambda _, proposal: app.proposal_answer(proposal))
    def move_proposal(self, proposal_id, to, reason=None):
        return app.move_proposal(*self.unit, {"proposal_id": proposal_id, "to": to, "reason": reason})

    @entrypoint("matching.read", reads=True)
    def get_proposal(self, proposal_id):
        return app.read_proposal(self.unit.session, proposal_id)

    @entrypoint("matching.read", reads=True, args=schemas.ListArgs)
    def list_proposals(self, vacancy_id=None, beneficiary_id=None, limit=50):
        asked = {"vacancy_id": vacancy_id, "beneficiary_id": beneficiary_id, "limit": limit}
        return app.list_proposals(self.unit.session, asked)

    # -- corrections --
    @once(internal.BeneficiaryCorrectedV1)
    def on_corrected(self, data):
        """A corrected municipality moves the person for distance scoring."""
        app.apply_correction(self.unit.session, self.clock, data)

    # -- data protection --
    @entrypoint("matching.subject_access", reads=True, beneficiary_id=person_ref)
    def subject_access(self, beneficiary_id):
        """The person's candidate record and proposals (GDPR art. 15; ``matching.access``)."""
        return access.export(self.unit.session, beneficiary_id)
