"""What the employer service publishes: internal and sector forms.

Sector forms carry codes, months and counts; never an enterprise number, a
company name or a contact.
"""

from contracts.envelope import Event, make_event

REGISTERED = "be.mire.employer.registered.v1"
VACANCY_OPENED = "be.mire.employer.vacancy_opened.v1"
VACANCY_UPDATED = "be.mire.employer.vacancy_updated.v1"
VACANCY_FILLED = "be.mire.employer.vacancy_filled.v1"
VACANCY_CLOSED = "be.mire.employer.vacancy_closed.v1"


def registered(source: str, e) -> list[Event]:
    data = {
        "employer_id": e.id,
        "nace": e.nace,
        "municipality": e.municipality,
        "size_band": e.size_band,
        "registered_month": e.created_at.strftime("%Y-%m"),
    }
    return [
        make_event(source=source, type=REGISTERED, subject=e.id, data=data),
        make_event(source=source, type=REGISTERED, audience="sector", subject=e.id, data=data),
    ]


def vacancy(source: str, type_: str, v, on, **extra) -> list[Event]:
    internal = make_event(
        source=source,
        type=type_,
        subject=v.id,
        data={
            "vacancy_id": v.id,
            "employer_id": v.employer_id,
            "source": v.source,
            "occupation": v.occupation,
            "title": v.title,
            "competences": v.competences,
            "contract_type": v.contract_type,
            "hours_per_week": v.hours_per_week,
            "municipality": v.municipality,
            "posts": v.posts,
            "filled": v.filled,
            "status": v.status,
            "on": on.isoformat(),
            "start_date": v.start_date.isoformat() if v.start_date else None,
            **extra,
        },
    )
    if v.source != "mission":
        return [internal]  # public offers imported from Le Forem are not the Mission's prospection
    sector = make_event(
        source=source,
        type=type_,
        audience="sector",
        subject=v.id,
        data={
            "vacancy_id": v.id,
            "occupation": v.occupation,
            "municipality": v.municipality,
            "posts": v.posts,
            "filled": v.filled,
            "status": v.status,
            "month": on.strftime("%Y-%m"),
            "on": on.isoformat(),
        },
    )
    return [internal, sector]
