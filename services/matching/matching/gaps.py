"""What a person lacks for a vacancy or an occupation: the ``missing`` part of matching's explanation, alone.

The beneficiary service asks it (``explain_gaps``) when a counsellor turns gaps into plan actions, so that the
actions keep matching's own words: each competence's label, whether it is essential, whether it is rare, the
level required and the one held. The vacancy is named directly or by a proposal of the person's; an
occupation is measured by its competences in the taxonomy. The person is matching's candidate as its events
made it (no candidate yet: a person of no competence, for whom everything is missing); the beneficiary
service checks the codes chosen against its own latest assessment, which may be newer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kit.errors import ValidationFailed
from kit.taxonomy import Taxonomy
from matching import domain
from matching.index import job_of, person_of
from matching.models import Candidate, Proposal, Vacancy
from matching.weights import Tell

SOURCES = ("vacancy_id", "proposal_id", "occupation")


def explain(session: Session, taxonomy: Taxonomy, tell: Tell, args: dict[str, Any]) -> dict[str, Any]:
    """``{"source": {kind, vacancy_id, proposal_id, occupation, title}, "missing": [...]}`` for the person
    ``args["beneficiary_id"]`` and the one source given; 422 on the field of a source that does not exist."""
    given = [name for name in SOURCES if args.get(name)]
    if len(given) != 1:
        raise ValidationFailed({"source": ["give exactly one of vacancy_id, proposal_id or occupation"]})
    beneficiary_id = args["beneficiary_id"]
    row = session.get(Candidate, beneficiary_id)
    person = person_of(row) if row is not None else domain.Person(id=beneficiary_id)
    source: dict[str, Any] = {"kind": "vacancy", "vacancy_id": None, "proposal_id": None, "occupation": None}
    vacancy_id = args.get("vacancy_id")
    if args.get("proposal_id"):
        proposal = session.get(Proposal, args["proposal_id"])
        if proposal is None or proposal.beneficiary_id != beneficiary_id:
            raise ValidationFailed({"proposal_id": ["no proposal of this person with this reference"]})
        source["proposal_id"] = proposal.id
        vacancy_id = proposal.vacancy_id
    if vacancy_id:
        vacancy = session.get(Vacancy, vacancy_id)
        if vacancy is None or not vacancy.employer_id:
            field = "proposal_id" if args.get("proposal_id") else "vacancy_id"
            raise ValidationFailed({field: ["no vacancy of an employer with this reference in this Mission"]})
        job = job_of(vacancy)
        occupation = taxonomy.occupation(vacancy.occupation)
        title = vacancy.title or (occupation.label if occupation else vacancy.occupation)
        source.update(vacancy_id=vacancy.vacancy_id, occupation=vacancy.occupation, title=title)
    else:
        found = domain.occupation_job(taxonomy, args["occupation"])
        if found is None:
            raise ValidationFailed({"occupation": ["unknown occupation code (ROME code of the taxonomy expected)"]})
        job = found
        label = taxonomy.occupations[args["occupation"]].label
        source.update(kind="occupation", occupation=args["occupation"], title=label)
    return {"source": source, "missing": domain.gaps(person, job, taxonomy, tell)}
