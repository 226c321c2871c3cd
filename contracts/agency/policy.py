"""The per-agency field policy, applied when an agency event is built.

Minimal disclosure: an agency receives only the fields its policy names for
that event type, after generalisation; a field not named is dropped before
the event exists, so it can be neither stored in the outbox nor replayed.
The result is checked against the event's schema: a producer that builds an
event outside the contract fails its transaction instead of publishing it.

Le Forem (Walloon legal framework of the Missions, co-funder) receives every
field of the catalogue. Actiris receives path and outcome facts but neither
the referrer nor the target groups: its cooperation with the Missions covers
placement, not the Missions' target-group funding.
"""

from __future__ import annotations

from contracts.agency.catalogue import AGENCIES, CATALOGUE, GENERALISED_REFERRER, REFERRERS, TARGET_GROUPS

# Fields withheld from an agency, per agency, for every event type that has them.
WITHHELD: dict[str, frozenset[str]] = {
    "forem": frozenset(),
    "actiris": frozenset({"referrer_type", "target_groups"}),
}


class OutsideContract(ValueError):
    """An agency event that the contract does not allow (unknown type or agency, invalid data)."""


def allowed_fields(agency: str, event_type: str) -> tuple[str, ...]:
    if agency not in AGENCIES:
        raise OutsideContract(f"unknown agency {agency!r}")
    if event_type not in CATALOGUE:
        raise OutsideContract(f"{event_type} is not an agency event type")
    return tuple(f for f in CATALOGUE[event_type].schema().fields if f not in WITHHELD[agency])


def generalise_referrer(referrer_type: str | None) -> str | None:
    """Sensitive (or unknown) referrers become 'partner': an allow-list, so a new sensitive code stays hidden."""
    if referrer_type is None:
        return None
    return referrer_type if referrer_type in REFERRERS else GENERALISED_REFERRER


def visible_target_groups(groups) -> list[str]:
    """Only the target groups the contract names; disability, social aid and justice measure never."""
    return sorted({g for g in groups if g in TARGET_GROUPS})


def disclose(agency: str, event_type: str, data: dict) -> dict:
    """The ``data`` the agency may receive: generalised, filtered to its policy, checked against the schema."""
    allowed = allowed_fields(agency, event_type)
    shaped = dict(data)
    if "referrer_type" in shaped:
        shaped["referrer_type"] = generalise_referrer(shaped["referrer_type"])
    if "target_groups" in shaped:
        shaped["target_groups"] = visible_target_groups(shaped["target_groups"])
    out = {k: v for k, v in shaped.items() if k in allowed}
    errors = CATALOGUE[event_type].schema().validate(out)
    if errors:
        raise OutsideContract(f"{event_type} for {agency} is outside the contract: {errors}")
    return out
