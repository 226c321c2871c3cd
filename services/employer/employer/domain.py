"""Vacancy rules, free of nameko and of I/O."""

from __future__ import annotations

from employer.enums import CANCELLED, CLOSED, DRAFT, FILLED, OPEN, PARTIALLY_FILLED

# Explicit moves a user may ask for; filling is its own step (it counts posts).
MOVES = {
    "open": ({DRAFT}, OPEN),
    "close": ({OPEN, PARTIALLY_FILLED, FILLED}, CLOSED),
    "cancel": ({DRAFT, OPEN, PARTIALLY_FILLED}, CANCELLED),
}
FILLABLE = {OPEN, PARTIALLY_FILLED}


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
