"""The Mission's partner directory: its vocabularies and rules, free of nameko and of I/O.

A partner organisation (a CPAS, an ALE, a training operator, a school, a commune's service…) is one of the
actors the Mission works with as *ensemblier*; it offers services (what, for whom, for which need). The
directory holds organisations and services only, never a person: its contact channels are the
organisation's or the service's (a reception desk, a generic address), which is why a published
organisation can be shared with InterMire as it is.

A service is withdrawn when the organisation no longer offers it: it stays readable (an orientation made
to it earlier still names it) but no longer counts as offered (``known_partner_services`` leaves it out, so
a new orientation cannot name it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import sector
from kit.rules import Refused

# What kind of organisation a partner is: the contract's codes (``contracts.sector.PARTNER_TYPES``).
PARTNER_TYPES = sector.PARTNER_TYPES

# The needs a service addresses: a short fixed list a search can offer.
NEEDS = (
    "housing",
    "health",
    "childcare",
    "mobility",
    "debt",
    "language",
    "training",
    "social_aid",
    "legal",
    "other",
)

# For whom a service is meant: the target-group codes of the beneficiary service ("publics cibles"). The
# services share no code, so the list is repeated here; a test checks it against the beneficiary's.
TARGET_GROUPS = (
    "low_qualification",
    "long_term_unemployed",
    "disability",
    "social_aid",
    "neet_youth",
    "refugee_newcomer",
    "justice_measure",
    "single_parent",
    "priority_neighbourhood",
)

# A service's lifecycle: offered, then withdrawn (kept readable, never offered again under the same id).
OFFERED, WITHDRAWN = "offered", "withdrawn"
SERVICE_STATUSES = (OFFERED, WITHDRAWN)

# What a correction of an organisation may change (``kit.corrections``); publishing is its own step.
CORRECTABLE = ("name", "enterprise_number", "partner_type", "municipalities", "contact")

# A partner organisation serves at most this many municipalities (a basin has at most a few dozen).
MAX_MUNICIPALITIES = 80


def check_withdraw(status: str) -> str:
    """The status after withdrawing a service: only an offered one can be withdrawn."""
    if status != OFFERED:
        raise Refused("status", "this service is already withdrawn")
    return WITHDRAWN


def check_publish(published: bool, wanted: bool) -> None:
    """Publishing a published organisation (or unpublishing one that is not) changes nothing: refused."""
    if published == wanted:
        raise Refused(
            "published", "the organisation is already published" if wanted else "the organisation is not published"
        )


def distinct(values: list[str]) -> list[str]:
    """``values`` without repeats, in the order first given (municipalities, needs, target groups)."""
    return list(dict.fromkeys(values))


def offered(services: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The services still offered, as a published organisation shows them to InterMire."""
    return [s for s in services if s["status"] == OFFERED]
