"""The partner directory's use cases (``employer.partners`` holds its rules), free of nameko.

Each function takes the unit of work as the employer service's other use cases do (``employer.application``)
and returns what the entrypoint answers with, as a ``kit.application.Outcome`` when the change has events.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from employer.models import Partner, PartnerService
from employer.partners import OFFERED

Data = dict[str, Any]


# -- references (kit.references) -------------------------------------------------------------------------
def known_partners(session: Session, asked: list[str]) -> dict[str, str]:
    """Which of ``asked`` name a partner organisation of this Mission, each with its type."""
    query = select(Partner.id, Partner.partner_type).where(Partner.id.in_(asked))
    return {ref: kind for ref, kind in session.execute(query)}


def known_partner_services(session: Session, asked: list[str]) -> dict[str, str]:
    """Which of ``asked`` name a service still offered by a partner of this Mission, each with its
    organisation's type (a withdrawn service is left out: nothing new may name it)."""
    query = (
        select(PartnerService.id, Partner.partner_type)
        .join(Partner, Partner.id == PartnerService.partner_id)
        .where(PartnerService.id.in_(asked), PartnerService.status == OFFERED)
    )
    return {ref: kind for ref, kind in session.execute(query)}
