"""What the employer service publishes: ``registered`` (internal, sector)."""

from contracts.envelope import Event, make_event

REGISTERED = "be.mire.employer.registered.v1"


def registered(source: str, e) -> list[Event]:
    data = {"employer_id": e.id, "nace": e.nace, "municipality": e.municipality,
            "registered_month": e.created_at.strftime("%Y-%m")}
    return [make_event(source=source, type=REGISTERED, subject=e.id, data=data),
            make_event(source=source, type=REGISTERED, audience="sector", subject=e.id, data=data)]
