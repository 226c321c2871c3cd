"""What the employer service publishes: internal and sector forms.

Sector forms exist only for the facts InterMire counts (a vacancy of the
Mission's own prospection opened, a post filled) and carry only what its
indicators read (``contracts.sector``): never an enterprise number, a company
name or a contact. Each event is built from its type's payload class
(``contracts.internal``, ``contracts.sector``): a field outside the schema
fails here, in the transaction that makes the change.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts import internal, sector
from contracts.envelope import Event
from contracts.payloads import build
from employer.models import Employer, Vacancy

REGISTERED = internal.EmployerRegisteredV1.TYPE
CORRECTED = internal.EmployerCorrectedV1.TYPE
VACANCY_OPENED = internal.VacancyOpenedV1.TYPE
VACANCY_UPDATED = internal.VacancyUpdatedV1.TYPE
VACANCY_FILLED = internal.VacancyFilledV1.TYPE
VACANCY_CLOSED = internal.VacancyClosedV1.TYPE

# Each vacancy fact's payload class in each audience (None: InterMire counts no such fact).
VACANCY: dict[str, tuple[type[internal.Vacancy], type[sector.Vacancy] | None]] = {
    internal.VacancyOpenedV1.TYPE: (internal.VacancyOpenedV1, sector.VacancyOpenedV1),
    internal.VacancyUpdatedV1.TYPE: (internal.VacancyUpdatedV1, None),
    internal.VacancyFilledV1.TYPE: (internal.VacancyFilledV1, sector.VacancyFilledV1),
    internal.VacancyClosedV1.TYPE: (internal.VacancyClosedV1, None),
}


def registered(source: str, e: Employer) -> list[Event]:
    data: dict[str, Any] = {
        "employer_id": e.id,
        "nace": e.nace,
        "municipality": e.municipality,
        "size_band": e.size_band,
        "registered_month": e.created_at.strftime("%Y-%m"),
    }
    return [build(internal.EmployerRegisteredV1(**data), source=source, subject=e.id)]


def corrected(source: str, e: Employer, version: int, changed: list[str]) -> list[Event]:
    """To the Mission's services: which fields of the employer were corrected, and its codes as they now stand
    (reporting keeps the sector of each employer). Internal only: InterMire counts employers by the codes of
    their registration and of the vacancies they open, and no agency event concerns an employer."""
    facts = internal.EmployerCorrectedV1(
        employer_id=e.id,
        version=version,
        fields=changed,
        nace=e.nace,
        municipality=e.municipality,
        size_band=e.size_band,
    )
    return [build(facts, source=source, subject=e.id)]


def vacancy(source: str, type_: str, v: Vacancy, on: date, **extra: Any) -> list[Event]:
    to_mission, to_sector = VACANCY[type_]
    facts = to_mission(
        vacancy_id=v.id,
        employer_id=v.employer_id,
        source=v.source,
        occupation=v.occupation,
        title=v.title,
        competences=[internal.JobCompetence(**c) for c in v.competences],
        contract_type=v.contract_type,
        hours_per_week=v.hours_per_week,
        municipality=v.municipality,
        posts=v.posts,
        filled=v.filled,
        status=v.status,
        on=on,
        start_date=v.start_date,
        **extra,
    )
    if v.source != "mission" or to_sector is None:
        # public offers imported from Le Forem are not the Mission's prospection
        return [build(facts, source=source, subject=v.id)]
    counted = to_sector(vacancy_id=v.id, municipality=v.municipality, month=on.strftime("%Y-%m"))
    return [build(facts, source=source, subject=v.id), build(counted, source=source, subject=v.id)]
