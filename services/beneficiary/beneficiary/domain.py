"""The beneficiary service's rules, free of nameko and of I/O."""

from __future__ import annotations

from datetime import date

from beneficiary.enums import ACTIVE, DROPPED_OUT, EXITED, STAGES


class TransitionRefused(ValueError):
    """A pathway move the rules do not allow; the message names why."""


def check_stage_move(status: str, current: str | None, target: str) -> None:
    """Any active stage may move to any other (skips and returns are part of a path);
    a dropped-out person re-enters at any stage; an exited file is closed."""
    if target not in STAGES:
        raise TransitionRefused(f"unknown stage '{target}'")
    if status == EXITED:
        raise TransitionRefused("the file is closed (exited): reopen it with a new intake")
    if status == ACTIVE and current == target:
        raise TransitionRefused(f"already at stage '{target}'")


def check_dropout(status: str) -> None:
    if status != ACTIVE:
        raise TransitionRefused(f"only an active path can drop out (status is '{status}')")


def six_month_check_due(signed_on: date) -> date:
    """The date from which the Mission checks the person is still employed."""
    month = signed_on.month + 6
    year = signed_on.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    day = min(
        signed_on.day,
        [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][
            month - 1
        ],
    )
    return date(year, month, day)


def age_band(birth: date, on: date) -> str:
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return "under_25" if age < 25 else "25_to_49" if age < 50 else "50_plus"


STATUSES = (ACTIVE, DROPPED_OUT, EXITED)
