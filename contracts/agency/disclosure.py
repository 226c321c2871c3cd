"""The per-agency field policy, applied when an agency event is built.

Minimal disclosure: an agency receives only the fields its policy names for
that event type, after generalisation; a field not named is dropped before
the event exists, so it can be neither stored in the outbox nor replayed.
The result is checked against the event's schema when it is built
(``contracts.payloads.build``): a producer that builds an event outside the
contract fails its transaction instead of publishing it.

Le Forem (Walloon legal framework of the Missions, co-funder) receives every
field of the catalogue. Actiris receives path and outcome facts but neither
the referrer nor the target groups: its cooperation with the Missions covers
placement, not the Missions' target-group funding.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import msgspec

from contracts.agency.catalogue import (
    AGENCIES,
    CATALOGUE,
    GENERALISED_REFERRER,
    REFERRERS,
    TARGET_GROUPS,
    Agency,
    Referrer,
    TargetGroup,
)
from contracts.payloads import UNSET, OutsideContract

__all__ = ["WITHHELD", "OutsideContract", "allowed_fields", "disclose", "generalise_referrer", "visible_target_groups"]

A = TypeVar("A", bound=Agency)

# Fields withheld from an agency, per agency, for every event type that has them.
WITHHELD: dict[str, frozenset[str]] = {
    "forem": frozenset(),
    "actiris": frozenset({"referrer_type", "target_groups"}),
}


def allowed_fields(agency: str, event_type: str) -> tuple[str, ...]:
    if agency not in AGENCIES:
        raise OutsideContract(f"unknown agency {agency!r}")
    if event_type not in CATALOGUE:
        raise OutsideContract(f"{event_type} is not an agency event type")
    return tuple(f for f in CATALOGUE[event_type].payload.__struct_fields__ if f not in WITHHELD[agency])


def generalise_referrer(referrer_type: str | None) -> Referrer | None:
    """Sensitive (or unknown) referrers become 'partner': an allow-list, so a new sensitive code stays hidden."""
    if referrer_type is None:
        return None
    return referrer_type if referrer_type in REFERRERS else GENERALISED_REFERRER  # type: ignore[return-value]


def visible_target_groups(groups: Iterable[str]) -> list[TargetGroup]:
    """Only the target groups the contract names; disability, social aid and justice measure never."""
    return sorted({g for g in groups if g in TARGET_GROUPS})  # type: ignore[misc]


def disclose(agency: str, payload: A) -> A:
    """``payload`` as ``agency`` may receive it: generalised, and the fields its policy withholds left out."""
    allowed = allowed_fields(agency, payload.TYPE)
    changes: dict[str, Any] = {name: UNSET for name in payload.__struct_fields__ if name not in allowed}
    referrer = getattr(payload, "referrer_type", UNSET)
    if "referrer_type" in allowed and referrer is not UNSET:
        changes["referrer_type"] = generalise_referrer(referrer)
    groups = getattr(payload, "target_groups", UNSET)
    if "target_groups" in allowed and groups is not UNSET:
        changes["target_groups"] = visible_target_groups(groups)
    return msgspec.structs.replace(payload, **changes) if changes else payload
