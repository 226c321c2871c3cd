"""Subject access (GDPR art. 15), the matching service's part: the person as matching sees them, and proposals.

The candidate record matching ranks people by (competences of the last assessment, the last agreed plan's
wishes, when placed) and every proposal of the person for a vacancy, with each of its steps.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kit.subject_access import record, records
from matching.models import Candidate, Proposal, ProposalStep


def export(session: Session, beneficiary_id: str) -> dict[str, Any]:
    proposals = session.scalars(
        select(Proposal).where(Proposal.beneficiary_id == beneficiary_id).order_by(Proposal.created_at, Proposal.id)
    ).all()

    def steps(proposal: Proposal) -> list[dict[str, Any]]:
        query = select(ProposalStep).where(ProposalStep.proposal_id == proposal.id)
        return records(session.scalars(query.order_by(ProposalStep.at, ProposalStep.id)))

    return {
        "candidate": record(session.get(Candidate, beneficiary_id)),
        "proposals": [{**(record(p) or {}), "steps": steps(p)} for p in proposals],
    }
