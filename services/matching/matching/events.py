"""What matching publishes (internal audience only: proposals name people, so they never leave the Mission).

Every step of a proposal is one event, ``be.mire.matching.<fact>.v1``, with
``proposal_id``, ``vacancy_id``, ``beneficiary_id``, ``at`` (ISO 8601, UTC)
and ``reason`` for a rejection or withdrawal; reporting counts them.
"""

from __future__ import annotations

from datetime import datetime

from contracts.envelope import Event, make_event
from matching.domain import EVENT_OF

PREFIX = "be.mire.matching."
TYPES = {state: f"{PREFIX}{fact}.v1" for state, fact in EVENT_OF.items()}


def proposal_step(source: str, proposal, state: str, at: datetime, reason: str | None = None) -> Event:
    data = {
        "proposal_id": proposal.id,
        "vacancy_id": proposal.vacancy_id,
        "beneficiary_id": proposal.beneficiary_id,
        "at": at.isoformat().replace("+00:00", "Z"),
    }
    if reason is not None:
        data["reason"] = reason
    return make_event(source=source, type=TYPES[state], subject=proposal.id, data=data, time=at)
