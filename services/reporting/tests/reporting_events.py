"""Synthetic events of a Mission's services, as reporting receives them (no names, no national numbers)."""

from __future__ import annotations

import uuid
from datetime import datetime

from contracts.envelope import make_event

SOURCE = "/missions/mirec/beneficiary"
B = "be.mire.beneficiary."


def registered(
    person: str,
    on: str,
    *,
    gender="F",
    age_band="25_to_49",
    groups=(),
    municipality="52011",
    audience="internal",
    source=SOURCE,
):
    data = {
        "registered_on": on,
        "municipality": municipality,
        "gender": gender,
        "age_band": age_band,
        "target_groups": sorted(groups),
    }
    if audience == "sector":
        data = {
            "pseudonym": person,
            "registered_month": on[:7],
            "gender": gender,
            "age_band": age_band,
            "municipality": municipality,
            "target_groups": sorted(groups),
        }
        return make_event(source=source, type=B + "registered.v1", audience="sector", subject=person, data=data)
    return make_event(source=source, type=B + "registered.v1", subject=person, data={"beneficiary_id": person, **data})


def path_fact(fact: str, person: str, **data):
    return make_event(source=SOURCE, type=B + fact + ".v1", subject=person, data={"beneficiary_id": person, **data})


def contract(person: str, on: str):
    return path_fact(
        "contract_signed",
        person,
        signed_on=on,
        contract_type="permanent",
        hours_per_week=38,
        employer_id=str(uuid.uuid4()),
        check_due=on,
    )


def employed_6m(person: str, signed_on: str, checked_on: str):
    return path_fact("employment_confirmed_6m", person, signed_on=signed_on, checked_on=checked_on, source="phone")


def sector_fact(
    fact: str,
    person: str,
    mission: str,
    month: str,
    *,
    gender="F",
    age_band="25_to_49",
    groups=(),
    municipality="52011",
):
    return make_event(
        source=f"/missions/{mission}/beneficiary",
        type=B + fact + ".v1",
        audience="sector",
        subject=person,
        data={
            "pseudonym": person,
            "gender": gender,
            "age_band": age_band,
            "municipality": municipality,
            "target_groups": sorted(groups),
            "month": month,
            "on": month + "-15",
        },
    )


def corrected(person: str, at: str, version: int, *, gender="F", age_band="25_to_49", groups=(), municipality="52011"):
    """A correction of the person's file at ``at`` (an ISO instant): the fields changed and the codes as they stand."""
    data = {
        "beneficiary_id": person,
        "version": version,
        "fields": ["municipality"],
        "municipality": municipality,
        "gender": gender,
        "age_band": age_band,
        "target_groups": sorted(groups),
    }
    return make_event(
        source=SOURCE, type=B + "corrected.v1", subject=person, data=data, time=datetime.fromisoformat(at)
    )
