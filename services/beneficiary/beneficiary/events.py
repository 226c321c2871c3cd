"""What the beneficiary service publishes, per audience.

``registered``: internal (the Mission's other services), sector (InterMire:
pseudonym, month, codes; never a name or national number).
"""

from datetime import date

from contracts.envelope import Event, make_event

REGISTERED = "be.mire.beneficiary.registered.v1"


def age_band(birth: date, on: date) -> str:
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return "under_25" if age < 25 else "25_to_49" if age < 50 else "50_plus"


def registered(source: str, b) -> list[Event]:
    internal = make_event(source=source, type=REGISTERED, subject=b.id, data={
        "beneficiary_id": b.id, "registered_on": b.registered_on.isoformat(),
        "municipality": b.municipality, "gender": b.gender,
        "age_band": age_band(b.birth_date, b.registered_on),
    })
    sector = make_event(source=source, type=REGISTERED, audience="sector", subject=b.pseudonym, data={
        "pseudonym": b.pseudonym, "registered_month": b.registered_on.strftime("%Y-%m"),
        "municipality": b.municipality, "gender": b.gender,
        "age_band": age_band(b.birth_date, b.registered_on),
    })
    return [internal, sector]
