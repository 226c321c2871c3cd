"""Vacancy rules, free of nameko and of I/O.

Refusals name why: ``TransitionRefused`` for a lifecycle move (answered on the ``status`` field), and
``kit.rules.Refused`` naming its own field for the others.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from employer.enums import CANCEL_REASONS, CANCELLED, CLOSED, DRAFT, FILLED, OPEN, PARTIALLY_FILLED
from kit.rules import Refused

# Explicit moves a user may ask for; filling is its own step (it counts posts).
MOVES = {
    "open": ({DRAFT}, OPEN),
    "close": ({OPEN, PARTIALLY_FILLED, FILLED}, CLOSED),
    "cancel": ({DRAFT, OPEN, PARTIALLY_FILLED}, CANCELLED),
}
FILLABLE = {OPEN, PARTIALLY_FILLED}
# A vacancy in one of these no longer changes: its content is what was announced when it ended.
FINISHED = (CLOSED, CANCELLED, FILLED)

# Le Forem's public offers: at most this many per import call, and the fields an import writes (a
# vacancy's content, hashed so that re-importing an unchanged offer changes nothing).
MAX_IMPORT_BATCH = 1000
IMPORTED_FIELDS = (
    "title",
    "occupation",
    "description",
    "contract_type",
    "hours_per_week",
    "municipality",
    "posts",
    "start_date",
)


class TransitionRefused(ValueError):
    pass


def move(status: str, action: str) -> str:
    if action not in MOVES:
        raise TransitionRefused(f"unknown action '{action}' (one of {', '.join(MOVES)})")
    allowed_from, target = MOVES[action]
    if status not in allowed_from:
        raise TransitionRefused(f"cannot {action} a vacancy that is {status}")
    return target


def fill(status: str, posts: int, filled: int) -> str:
    """The status after one more post is filled."""
    if status not in FILLABLE:
        raise TransitionRefused(f"cannot fill a vacancy that is {status}")
    if filled >= posts:
        raise TransitionRefused("every post is already filled")
    return FILLED if filled + 1 == posts else PARTIALLY_FILLED


def announced_on_move(was: str, target: str) -> bool:
    """Whether a move is told to the Mission's services: a draft nobody saw closes without telling anyone."""
    return target == OPEN or was != DRAFT


def check_cancel_reason(reason: object) -> None:
    if reason not in CANCEL_REASONS:
        raise Refused("reason", f"one of {', '.join(CANCEL_REASONS)}")


def check_same_employer(changes: Mapping[str, Any]) -> None:
    if "employer_id" in changes:
        raise Refused("employer_id", "a vacancy does not change employer")


def check_update(status: str, filled: int, changes: Mapping[str, Any]) -> None:
    """What an edit of a vacancy may change: nothing once it is finished, its posts not below those filled."""
    if status in FINISHED:
        raise Refused("status", f"a {status} vacancy cannot change")
    if "posts" in changes and changes["posts"] < filled:
        raise Refused("posts", f"{filled} posts are already filled")


def check_import_batch(offers: object) -> None:
    if not isinstance(offers, list) or len(offers) > MAX_IMPORT_BATCH:
        raise Refused("offers", f"a list of at most {MAX_IMPORT_BATCH} offers")


def offer_digest(offer: Mapping[str, Any]) -> str:
    """What an imported offer's content hashes to: equal digests, nothing to write."""
    content = {k: str(offer.get(k)) for k in IMPORTED_FIELDS} | {"open": offer["open"]}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def imported_status(is_open: bool) -> str:
    """An imported offer is open or closed, as its source says; never a draft."""
    return OPEN if is_open else CLOSED
