"""What matching publishes (internal audience only: proposals name people, so they never leave the Mission).

Every step of a proposal is one event, ``be.mire.matching.<fact>.v1``
(``contracts.internal.ProposalStep``), with ``proposal_id``, ``vacancy_id``,
``beneficiary_id``, ``at`` (ISO 8601, UTC) and ``reason`` for a rejection or
withdrawal; reporting counts them.
"""

from __future__ import annotations

from datetime import datetime

from contracts import internal
from contracts.envelope import Event
from contracts.payloads import UNSET, build
from matching.domain import HIRED, INTERVIEW, PRESENTED, PROPOSED, REJECTED, WITHDRAWN

STEPS: dict[str, type[internal.ProposalStep]] = {
    PROPOSED: internal.ProposalMadeV1,
    PRESENTED: internal.ProposalPresentedV1,
    INTERVIEW: internal.InterviewScheduledV1,
    HIRED: internal.ProposalHiredV1,
    REJECTED: internal.ProposalRejectedV1,
    WITHDRAWN: internal.ProposalWithdrawnV1,
}
TYPES = {state: cls.TYPE for state, cls in STEPS.items()}


def proposal_step(source: str, proposal, state: str, at: datetime, reason: str | None = None) -> Event:
    payload = STEPS[state](
        proposal_id=proposal.id,
        vacancy_id=proposal.vacancy_id,
        beneficiary_id=proposal.beneficiary_id,
        at=at,
        reason=UNSET if reason is None else reason,
    )
    return build(payload, source=source, subject=proposal.id, time=at)
