"""Matching use cases: keep matching's view of people and vacancies from their events, and run proposals.

Free of nameko: each function takes the unit of work (an open SQLAlchemy session that its caller commits
or rolls back) and a clock, with the actor and the events' source where a proposal moves, and returns an
``Outcome`` (``kit.application``): what it wrote and the proposal events to publish with it. Event data
arrives already loaded through the contract's payload classes (``contracts.internal``). Ranking itself runs
in the service's index (``matching.index``, off the event loop); here are only the rows it starts from.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, cast

import msgspec
from sqlalchemy import ColumnElement, Table, delete, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from contracts import internal
from kit.application import Addressed, Clock, Outcome
from kit.errors import Conflict, NotFound, ValidationFailed
from matching import domain
from matching.events import proposal_step
from matching.models import Candidate, ErasedCandidate, Proposal, ProposalStep, Vacancy

if TYPE_CHECKING:
    from kit.actor import Actor

log = logging.getLogger(__name__)
Data = dict[str, Any]
VACANCY_FIELDS = (
    "employer_id",
    "occupation",
    "title",
    "contract_type",
    "hours_per_week",
    "municipality",
    "posts",
    "start_date",
)


def proposal_answer(p: Proposal) -> Data:
    return {
        "id": p.id,
        "vacancy_id": p.vacancy_id,
        "beneficiary_id": p.beneficiary_id,
        "state": p.state,
        "reason": p.reason,
        "created_at": p.created_at.isoformat(),
        "updated_at": p.updated_at.isoformat(),
    }


# -- matching's view of people -------------------------------------------
def known(uow: Session, beneficiary_ids: set[str]) -> tuple[dict[str, Candidate], set[str]]:
    """The rows of the people matching already knows, and those of them erased (who have none)."""
    erased = set(
        uow.scalars(select(ErasedCandidate.beneficiary_id).where(ErasedCandidate.beneficiary_id.in_(beneficiary_ids)))
    )
    rows = {
        row.beneficiary_id: row
        for row in uow.scalars(select(Candidate).where(Candidate.beneficiary_id.in_(beneficiary_ids - erased)))
    }
    return rows, erased


def candidates(uow: Session, clock: Clock, beneficiary_ids: set[str]) -> dict[str, Candidate | None]:
    """Each person's row in two queries, created on first news; None for those erased."""
    rows, erased = known(uow, beneficiary_ids)
    for ref in beneficiary_ids - erased - rows.keys():
        rows[ref] = Candidate(
            beneficiary_id=ref, competences=[], target_occupations=[], contract_wishes=[], changed_at=clock.now()
        )
        uow.add(rows[ref])
    return {ref: rows.get(ref) for ref in beneficiary_ids}


def candidate(uow: Session, clock: Clock, beneficiary_id: str) -> Candidate | None:
    """The person's row, created on first news; None when the person was erased."""
    return candidates(uow, clock, {beneficiary_id})[beneficiary_id]


def apply_assessments(uow: Session, clock: Clock, assessments: list[internal.BeneficiaryAssessedV1]) -> None:
    """A batch of assessments, in the order they arrived.

    The latest assessment of each person in the batch wins, and an older one arriving late is ignored.
    People seen for the first time (most of a campaign) are inserted with one multi-row INSERT rather than
    as ORM objects, a third of the handler's time; known people are updated through their rows.
    """
    latest: dict[str, internal.BeneficiaryAssessedV1] = {}
    for data in assessments:
        held = latest.get(data.beneficiary_id)
        if held is None or held.assessed_on <= data.assessed_on:
            latest[data.beneficiary_id] = data
    rows, erased = known(uow, set(latest))
    now, new = clock.now(), cast(list[Data], [])
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
        # Where the person lives changes by a correction only (``apply_correction``): a fact of another queue may
        # arrive after it carrying the municipality as the file stood before, so it fills a gap, never overwrites.
        row.municipality = row.municipality or data.municipality
    if new:
        # Core, not the ORM's bulk insert: the same statement without its per-row bookkeeping.
        uow.connection().execute(insert(cast(Table, Candidate.__table__)), new)


def apply_plan(uow: Session, clock: Clock, data: internal.BeneficiaryPlanAgreedV1) -> None:
    """The person's agreed plan: what they aim at and accept; an older version arriving late is ignored."""
    row = candidate(uow, clock, data.beneficiary_id)
    if row is None or (row.plan_version is not None and row.plan_version > data.version):
        return
    row.plan_version = data.version
    for key in ("target_occupations", "contract_wishes", "hours_wish", "mobility_km", "available_from"):
        setattr(row, key, getattr(data, key))
    row.municipality = row.municipality or data.municipality  # a correction's, if any, stands
    row.changed_at = clock.now()


def apply_correction(uow: Session, clock: Clock, data: internal.BeneficiaryCorrectedV1) -> None:
    """The person's file was corrected: where they live now is what distances are measured from."""
    row = candidate(uow, clock, data.beneficiary_id)
    if row is None or row.municipality == data.municipality:
        return
    row.municipality = data.municipality
    row.changed_at = clock.now()


def record_placement(
    uow: Session, clock: Clock, source: str, data: internal.BeneficiaryContractSignedV1
) -> Outcome[Candidate | None]:
    """The person signed a contract: no longer proposed, and their live proposals are withdrawn."""
    row = candidate(uow, clock, data.beneficiary_id)
    if row is None:
        return Outcome(None)
    row.placed_on = data.signed_on
    row.changed_at = clock.now()
    return Outcome(row, _withdraw_all(uow, clock, source, Proposal.beneficiary_id == row.beneficiary_id, "placed"))


def apply_return(uow: Session, clock: Clock, data: internal.BeneficiaryReopenedV1) -> None:
    """The person's file was re-opened: placed in an earlier episode or not, they are proposed again, from
    where they live now (the new episode's plan, when agreed, brings its wishes as any plan does)."""
    row = candidate(uow, clock, data.beneficiary_id)
    if row is None:
        return
    row.placed_on = None
    row.municipality = row.municipality or data.municipality  # a correction's, if any, stands
    row.changed_at = clock.now()


def forget(uow: Session, beneficiary_id: str) -> None:
    """Erasure: the person's row and proposals go; only the reference is kept, so a replay cannot revive them."""
    ids = list(uow.scalars(select(Proposal.id).where(Proposal.beneficiary_id == beneficiary_id)))
    if ids:
        uow.execute(delete(ProposalStep).where(ProposalStep.proposal_id.in_(ids)))
        uow.execute(delete(Proposal).where(Proposal.id.in_(ids)))
    uow.execute(delete(Candidate).where(Candidate.beneficiary_id == beneficiary_id))
    uow.merge(ErasedCandidate(beneficiary_id=beneficiary_id))


def merge(uow: Session, merged: str, into: str) -> None:
    """A provisional file merged into the kept file: its proposals (and their steps) follow the kept file; its
    candidate row goes (the kept file's is rebuilt from the assessments and plan heard again under the kept
    reference), and the provisional reference is remembered as gone, so a late event cannot rank it again."""
    uow.execute(update(Proposal).where(Proposal.beneficiary_id == merged).values(beneficiary_id=into))
    uow.execute(delete(Candidate).where(Candidate.beneficiary_id == merged))
    uow.merge(ErasedCandidate(beneficiary_id=merged))


# -- matching's view of vacancies ----------------------------------------
def apply_vacancy(uow: Session, clock: Clock, data: internal.Vacancy, occupations: Collection[str]) -> None:
    """A vacancy opened or changed; ``occupations`` are the taxonomy's (an unknown one ranks on competences)."""
    row = uow.get(Vacancy, data.vacancy_id)
    if row is None:
        row = Vacancy(vacancy_id=data.vacancy_id, status=domain.VACANCY_OPEN)
        uow.add(row)
    if row.status != domain.VACANCY_OPEN:
        return  # a late update never reopens a filled or closed vacancy
    if data.occupation not in occupations:
        log.warning(
            "vacancy %s: occupation %s is not in the taxonomy; ranked on competences only",
            data.vacancy_id,
            data.occupation,
        )
    for key in VACANCY_FIELDS:
        setattr(row, key, getattr(data, key))
    row.competences = [msgspec.structs.asdict(c) for c in data.competences]
    row.changed_at = clock.now()


def vacancy_ends(uow: Session, clock: Clock, source: str, vacancy_id: str, status: str) -> Outcome[Vacancy]:
    """The vacancy is filled or closed: no longer ranked or proposed, and its live proposals are withdrawn."""
    row = uow.get(Vacancy, vacancy_id)
    if row is None:
        # Ended before matching heard of it: remember, so a late "opened" cannot revive it.
        row = Vacancy(vacancy_id=vacancy_id, employer_id="", occupation="", title="", competences=[], posts=0)
        uow.add(row)
    row.status, row.changed_at = status, clock.now()
    return Outcome(row, _withdraw_all(uow, clock, source, Proposal.vacancy_id == row.vacancy_id, f"vacancy_{status}"))


def post_filled(uow: Session, clock: Clock, source: str, data: internal.VacancyFilledV1) -> Outcome[Vacancy | None]:
    """One post of the vacancy filled: the vacancy ends with its last post, and stays open until then."""
    if not domain.last_post(data.posts, data.filled):
        return Outcome(uow.get(Vacancy, data.vacancy_id))
    ended = vacancy_ends(uow, clock, source, data.vacancy_id, domain.VACANCY_FILLED)
    return Outcome(ended.value, ended.events)


# -- proposals -----------------------------------------------------------
def _withdraw_all(uow: Session, clock: Clock, source: str, where: ColumnElement[bool], reason: str) -> list[Addressed]:
    published: list[Addressed] = []
    for p in uow.scalars(select(Proposal).where(where, Proposal.state.in_(domain.ACTIVE))):
        published += _move(uow, clock, source, p, domain.WITHDRAWN, reason, actor="matching")
    return published


def _move(
    uow: Session, clock: Clock, source: str, proposal: Proposal, to: str, reason: str | None, actor: str | None
) -> list[Addressed]:
    at = clock.now()
    uow.add(
        ProposalStep(proposal_id=proposal.id, from_state=proposal.state, to_state=to, at=at, actor=actor, reason=reason)
    )
    proposal.state, proposal.reason, proposal.updated_at = to, reason, at
    return [(proposal_step(source, proposal, to, at, reason), None)]


def active_refs(uow: Session, where: ColumnElement[bool], column: InstrumentedAttribute[str]) -> list[str]:
    # Pairs already in a live proposal, or hired, are not suggested again.
    return list(uow.scalars(select(column).where(where, Proposal.state.in_(domain.TAKEN))))


def vacancy_to_rank(uow: Session, vacancy_id: str) -> tuple[Vacancy, list[str]]:
    """An open vacancy to rank people for, and the people already proposed for it."""
    row = uow.get(Vacancy, vacancy_id)
    if row is None or not row.employer_id:
        raise NotFound("vacancy", vacancy_id)
    if row.status != domain.VACANCY_OPEN:
        raise Conflict(f"the vacancy is {row.status}", row.vacancy_id)
    return row, active_refs(uow, Proposal.vacancy_id == row.vacancy_id, Proposal.beneficiary_id)


def person_to_place(uow: Session, beneficiary_id: str) -> tuple[Candidate, list[str]]:
    """A person to rank vacancies for (not placed), and the vacancies they are already proposed for."""
    row = uow.get(Candidate, beneficiary_id)
    if row is None:
        raise NotFound("beneficiary", beneficiary_id)
    if row.placed_on is not None:
        raise Conflict("the person is placed", row.beneficiary_id)
    return row, active_refs(uow, Proposal.beneficiary_id == row.beneficiary_id, Proposal.vacancy_id)


def propose(uow: Session, actor: Actor, clock: Clock, source: str, args: Data) -> Outcome[Proposal]:
    """Propose a person for a vacancy (state ``proposed``)."""
    # References are judged by matching's own read model of the Mission's vacancies and candidates
    # (fed by their events; kit.references says why matching differs): 422 by field, as elsewhere.
    vacancy = uow.get(Vacancy, args["vacancy_id"])
    person = uow.get(Candidate, args["beneficiary_id"])
    errors: dict[str, list[str]] = {}
    if vacancy is None or not vacancy.employer_id:
        errors["vacancy_id"] = ["no vacancy of an employer with this reference in this Mission"]
    if person is None:
        errors["beneficiary_id"] = [
            "no person with this reference known to matching in this Mission (an assessment or a plan makes one known)"
        ]
    if errors or vacancy is None or person is None:
        raise ValidationFailed(errors)
    if vacancy.status != domain.VACANCY_OPEN:
        raise Conflict(f"the vacancy is {vacancy.status}", vacancy.vacancy_id)
    if person.placed_on is not None:
        raise Conflict("the person is placed", person.beneficiary_id)
    existing = uow.execute(
        select(Proposal.id, Proposal.state).where(
            Proposal.vacancy_id == vacancy.vacancy_id,
            Proposal.beneficiary_id == person.beneficiary_id,
            Proposal.state.in_(domain.TAKEN),
        )
    ).first()
    if existing:
        taken = "hired" if existing.state == domain.HIRED else "proposed"
        raise Conflict(f"this person is already {taken} for this vacancy", existing.id)
    at = clock.now()
    proposal = Proposal(
        id=str(uuid.uuid4()),
        vacancy_id=vacancy.vacancy_id,
        beneficiary_id=person.beneficiary_id,
        state=domain.PROPOSED,
        created_at=at,
        updated_at=at,
    )
    uow.add(proposal)
    uow.add(ProposalStep(proposal_id=proposal.id, from_state=None, to_state=domain.PROPOSED, at=at, actor=actor.sub))
    return Outcome(proposal, [(proposal_step(source, proposal, domain.PROPOSED, at), None)])


def move_proposal(uow: Session, actor: Actor, clock: Clock, source: str, args: Data) -> Outcome[Proposal]:
    """One step of a proposal: presented, interview, hired, rejected (reason required) or withdrawn."""
    if args["to"] in domain.NEEDS_REASON and not args["reason"]:
        raise ValidationFailed({"reason": [f"a proposal {args['to']} needs a reason"]})
    proposal = uow.get(Proposal, args["proposal_id"])
    if proposal is None:
        raise NotFound("proposal", args["proposal_id"])
    refused = domain.transition_error(proposal.state, args["to"])
    if refused:
        raise Conflict(refused, proposal.id)
    return Outcome(proposal, _move(uow, clock, source, proposal, args["to"], args["reason"], actor.sub))


def read_proposal(uow: Session, proposal_id: object) -> Data:
    proposal = uow.get(Proposal, proposal_id) if isinstance(proposal_id, str) else None
    if proposal is None:
        raise NotFound("proposal", str(proposal_id))
    steps = uow.scalars(select(ProposalStep).where(ProposalStep.proposal_id == proposal.id).order_by(ProposalStep.id))
    return dict(
        proposal_answer(proposal),
        steps=[
            {"from": s.from_state, "to": s.to_state, "at": s.at.isoformat(), "by": s.actor, "reason": s.reason}
            for s in steps
        ],
    )


def list_proposals(uow: Session, args: Data) -> list[Data]:
    """Proposals of a vacancy or of a person, newest first (one of the two is required)."""
    if not args["vacancy_id"] and not args["beneficiary_id"]:
        raise ValidationFailed({"vacancy_id": ["give a vacancy_id or a beneficiary_id"]})
    query = select(Proposal).order_by(Proposal.created_at.desc(), Proposal.id).limit(args["limit"])
    if args["vacancy_id"]:
        query = query.where(Proposal.vacancy_id == args["vacancy_id"])
    if args["beneficiary_id"]:
        query = query.where(Proposal.beneficiary_id == args["beneficiary_id"])
    return [proposal_answer(p) for p in uow.scalars(query)]
