"""Orientations out, the rules: what may be shared with a partner, and how an orientation's outcome moves.

Free of nameko and of I/O: plain functions of plain values, raising ``kit.rules.Refused`` (a 422 on the
field it names) for what the rules do not allow.

An orientation starts ``planned`` (the person has an appointment with the partner's service). Its outcome
is recorded as the counsellor learns it:

    planned  ──► attended ──► done
       │            │
       │            └──► not_taken_up (reason required)
       ├──► done
       ├──► not_taken_up (reason required)
       └──► cancelled

``attended``: the person went to the appointment; ``done``: the partner's service was delivered;
``not_taken_up``: the person did not go, or gave up (the reason says why: it is what a counsellor acts on);
``cancelled``: the orientation is called off before the appointment (by the Mission or the person). Done,
not taken up and cancelled are final: an orientation made in error stays visible as cancelled, and a new
appointment is a new orientation.

What is shared with the partner is a short list of categories the person agreed to, one by one (``SHARED``):
their contact details, the reason of the orientation, and their plan's goal. Never an accompaniment note,
target-group evidence or the national number: those are not categories at all, so no form can offer them.
"""

from __future__ import annotations

from datetime import date, timedelta

from kit.rules import Refused

PLANNED, ATTENDED, DONE, NOT_TAKEN_UP, CANCELLED = "planned", "attended", "done", "not_taken_up", "cancelled"
STATUSES = (PLANNED, ATTENDED, DONE, NOT_TAKEN_UP, CANCELLED)
OUTCOMES = (ATTENDED, DONE, NOT_TAKEN_UP, CANCELLED)  # what a counsellor records: every status but the first
FINAL = (DONE, NOT_TAKEN_UP, CANCELLED)
# outcome -> the statuses it may be recorded from
MOVES: dict[str, tuple[str, ...]] = {
    ATTENDED: (PLANNED,),
    DONE: (PLANNED, ATTENDED),
    NOT_TAKEN_UP: (PLANNED, ATTENDED),
    CANCELLED: (PLANNED,),
}
NEEDS_REASON = (NOT_TAKEN_UP,)

# What the person may agree to pass to the partner.
CONTACT_DETAILS, ORIENTATION_REASON, PLAN_GOAL = "contact_details", "orientation_reason", "plan_goal"
SHARED = (CONTACT_DETAILS, ORIENTATION_REASON, PLAN_GOAL)

# How far from the day it is made an appointment may be: one made by phone last month is recorded late, one
# set for next year is not an orientation yet.
APPOINTMENT_PAST_DAYS = 90
APPOINTMENT_AHEAD_DAYS = 365


def check_sharing(shared: list[str], consent: bool) -> None:
    """Anything shared needs the person's consent to that sharing; consent to share nothing is allowed."""
    unknown = [s for s in shared if s not in SHARED]
    if unknown:
        raise Refused("shared", f"not something that may be shared with a partner: {', '.join(unknown)}")
    if shared and not consent:
        raise Refused("consent", "the person's consent is required to share anything with the partner")


def check_appointment(appointment_on: date, today: date) -> None:
    if appointment_on < today - timedelta(days=APPOINTMENT_PAST_DAYS):
        raise Refused("appointment_on", f"the appointment is more than {APPOINTMENT_PAST_DAYS} days ago")
    if appointment_on > today + timedelta(days=APPOINTMENT_AHEAD_DAYS):
        raise Refused("appointment_on", f"the appointment is more than {APPOINTMENT_AHEAD_DAYS} days ahead")


def check_outcome(current: str, outcome: str, reason: str | None) -> None:
    """``current → outcome`` is a move of the machine above, with its reason when one is required."""
    if outcome not in MOVES:
        raise Refused("outcome", f"not an outcome: {outcome} (one of {', '.join(OUTCOMES)})")
    if current not in MOVES[outcome]:
        if current in FINAL:
            raise Refused("outcome", f"this orientation is already {current}: its outcome is final")
        allowed = ", ".join(MOVES[outcome])
        raise Refused("outcome", f"an orientation cannot go from {current} to {outcome} (only from {allowed})")
    if outcome in NEEDS_REASON and not (reason or "").strip():
        raise Refused("reason", "say why the orientation was not taken up")


def check_outcome_date(on: date, made_on: date, today: date) -> None:
    if on > today:
        raise Refused("on", "an outcome is recorded once it is known: not a day in the future")
    if on < made_on:
        raise Refused("on", "the outcome is dated before the orientation was made")
