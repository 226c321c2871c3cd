"""Convention rules, free of nameko and of I/O.

Every refusal is a ``RuleBroken`` carrying field-level messages, so that the
service can answer ``ValidationFailed({field: [message]})`` unchanged. The
messages name statuses, counts and dates, never a person.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from convention.enums import (
    ACTIVE,
    CANCELLED,
    COMPLETED,
    CONFIRMED,
    DRAFT,
    DROPPED_OUT,
    EMPLOYER,
    FULFILLED,
    HIRED,
    IN_TRAINING,
    NOT_FULFILLED,
    NOT_HIRED,
    PARTIALLY_SIGNED,
    PARTLY,
    READY_TO_SIGN,
    SIGNED,
    TERMINATED,
    TRAINEE_COMPLETED,
    TRAINEE_FINAL,
)


class RuleBroken(ValueError):
    """A request the rules refuse; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def refuse(field: str, message: str) -> RuleBroken:
    return RuleBroken({field: [message]})


# -- the signature workflow ------------------------------------------------
# Explicit moves a user may ask for; signing is its own step (it counts parties).
MOVES = {
    "submit": ({DRAFT}, READY_TO_SIGN),
    "activate": ({SIGNED}, ACTIVE),
    "complete": ({ACTIVE}, COMPLETED),
    "cancel": ({DRAFT, READY_TO_SIGN, PARTIALLY_SIGNED}, CANCELLED),
    "terminate": ({SIGNED, ACTIVE}, TERMINATED),
}
SIGNABLE = (READY_TO_SIGN, PARTIALLY_SIGNED)
AMENDABLE = (SIGNED, ACTIVE)


def move(status: str, action: str) -> str:
    if action not in MOVES:
        raise refuse("action", f"unknown action '{action}' (one of {', '.join(MOVES)})")
    allowed_from, target = MOVES[action]
    if status not in allowed_from:
        raise refuse("status", f"cannot {action} a convention that is {status}")
    return target


def sign(status: str, parties: Iterable[str], signed: Iterable[str], party: str) -> str:
    """The status once ``party`` has signed; refused out of order, by a stranger, or twice."""
    parties, signed = set(parties), set(signed)
    if status not in SIGNABLE:
        raise refuse("status", f"a convention that is {status} cannot be signed (only when {' or '.join(SIGNABLE)})")
    if party not in parties:
        raise refuse("party", "is not a party to this convention")
    if party in signed:
        raise refuse("party", "has already signed this convention")
    return SIGNED if signed | {party} == parties else PARTIALLY_SIGNED


def check_vacancy(vacancy_status: str | None) -> None:
    """A convention is not put up for signature on a vacancy the employer service says was cancelled."""
    if vacancy_status == "cancelled":
        raise refuse("vacancy_id", "the vacancy was cancelled: cancel this convention instead")


def check_amendable(status: str, is_latest: bool) -> None:
    if status not in AMENDABLE:
        raise refuse("status", f"only a signed or active convention is amended (this one is {status})")
    if not is_latest:
        raise refuse("version", "a newer version of this convention already exists")


def after_amendment(previous_status: str) -> str:
    """The status a signed amendment takes over from the version it replaces."""
    return ACTIVE if previous_status == ACTIVE else SIGNED


# -- schedule and trainees -------------------------------------------------
def check_schedule(start: date, end: date) -> None:
    if end < start:
        raise refuse("end_date", "is before the start date")


def _within(errors: dict[str, list[str]], field: str, day: date, start: date, end: date) -> None:
    if not start <= day <= end:
        errors.setdefault(field, []).append(
            f"is outside the convention's schedule ({start.isoformat()} to {end.isoformat()})"
        )


def check_internship(start: date, end: date, training_end: date | None) -> None:
    errors: dict[str, list[str]] = {}
    if end < start:
        errors["end_date"] = ["is before the start date"]
    if training_end is not None and start > training_end:
        errors.setdefault("start_date", []).append("is after the end of the training")
    if errors:
        raise RuleBroken(errors)


def check_enrolment(
    *,
    internship_outcome: str | None,
    internship_end: date | None,
    enrolled: int,
    planned: int,
    start: date,
    planned_end: date,
    schedule: tuple[date, date],
) -> None:
    """May one more person be enrolled: confirmed by an internship, within the places and the schedule."""
    errors: dict[str, list[str]] = {}
    if internship_outcome is None:
        errors["beneficiary_id"] = ["has no confirmation internship recorded in this project"]
    elif internship_outcome != CONFIRMED:
        errors["beneficiary_id"] = [f"the confirmation internship did not confirm ({internship_outcome})"]
    if enrolled >= planned:
        errors["trainees"] = [f"the convention plans {planned} trainee(s) and {enrolled} are enrolled"]
    _within(errors, "start_date", start, *schedule)
    _within(errors, "planned_end", planned_end, *schedule)
    if planned_end < start:
        errors.setdefault("planned_end", []).append("is before the start date")
    if internship_end is not None and internship_outcome == CONFIRMED and start < internship_end:
        errors.setdefault("start_date", []).append("is before the end of the confirmation internship")
    if errors:
        raise RuleBroken(errors)


TRAINEE_MOVES = {
    "drop_out": ({IN_TRAINING}, DROPPED_OUT),
    "complete": ({IN_TRAINING}, TRAINEE_COMPLETED),
    "hire": ({TRAINEE_COMPLETED}, HIRED),
    "not_hired": ({TRAINEE_COMPLETED}, NOT_HIRED),
}


def trainee_move(status: str, action: str, on: date, *, start: date, until: date) -> str:
    """A trainee's next status; ``on`` must fall in [start, until]."""
    allowed_from, target = TRAINEE_MOVES[action]
    if status not in allowed_from:
        raise refuse("status", f"cannot {action.replace('_', ' ')} a trainee who is {status}")
    if not start <= on <= until:
        raise refuse("on", f"must fall between {start.isoformat()} and {until.isoformat()}")
    return target


def check_plan_change(
    planned: int, enrolled: int, schedule: tuple[date, date], trainee_dates: Iterable[tuple[date, date]]
) -> None:
    """An amended training convention must still hold its trainees: their number and their dates."""
    errors: dict[str, list[str]] = {}
    if planned < enrolled:
        errors["trainees_planned"] = [f"{enrolled} trainee(s) are already enrolled"]
    if any(not (schedule[0] <= s and e <= schedule[1]) for s, e in trainee_dates):
        errors["end_date"] = ["enrolled trainees' dates would fall outside the schedule"]
    if errors:
        raise RuleBroken(errors)


# -- completion and the hiring commitment ----------------------------------
def check_completion(kind: str, trainee_statuses: Iterable[str]) -> None:
    statuses = list(trainee_statuses)
    if kind == EMPLOYER:
        pending = sum(1 for s in statuses if s not in TRAINEE_FINAL)
        if pending:
            raise refuse(
                "trainees", f"{pending} trainee(s) have no final outcome yet (hired, not hired or dropped out)"
            )
    elif IN_TRAINING in statuses:
        raise refuse("trainees", f"{statuses.count(IN_TRAINING)} trainee(s) are still in training")


def evaluate_commitment(committed: int, hires: int) -> str:
    """Fulfilled when the employer hired at least what it committed to, partly when some, not when none."""
    if hires >= committed:
        return FULFILLED
    return PARTLY if hires > 0 else NOT_FULFILLED


# -- committees ------------------------------------------------------------
def check_committee(
    held_on: date, schedule: tuple[date, date], attendees: Iterable[str], parties: Iterable[str]
) -> list[str]:
    """Refuse a meeting outside the schedule or with strangers; return the expected parties who were absent."""
    attendees, parties = set(attendees), set(parties)
    errors: dict[str, list[str]] = {}
    _within(errors, "held_on", held_on, *schedule)
    strangers = attendees - parties
    if strangers:
        errors["attendees"] = [f"not a party to this project: {', '.join(sorted(strangers))}"]
    if errors:
        raise RuleBroken(errors)
    return sorted(parties - attendees)
