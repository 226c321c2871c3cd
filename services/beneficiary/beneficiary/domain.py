"""The beneficiary service's rules, free of nameko and of I/O.

Each rule is a function of plain values that returns what follows from them or raises ``kit.rules.Refused``,
naming the field the refusal is about and why; the application layer (``beneficiary.application``) turns a
refusal into the field-level error the caller sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from stdnum.be import bis, nn

from beneficiary.enums import (
    ACTIVE,
    BIS,
    CLOSED,
    CONSENT,
    DROPPED_OUT,
    EXITED,
    KIND_MOVED,
    KIND_REENTERED,
    NATIONAL_REGISTER,
    NOTE_KINDS,
    PROVISIONAL,
    STAGES,
    TRANSFERRED,
)
from kit.rules import Refused

# The message never repeats the number: it reaches logs and clients.
NOT_AN_IDENTITY_NUMBER = (
    "not a valid Belgian identity number: a national register number or a BIS number is accepted (11 digits)"
)


class TransitionRefused(ValueError):
    """A pathway move the rules do not allow; the message names why."""


def niss_kind(number: str) -> str:
    """Which kind of identity number ``number`` is (python-stdnum's checks, separators allowed): a national
    register number, or a BIS number; neither is refused on the field ``niss``."""
    if nn.is_valid(number):
        return NATIONAL_REGISTER
    if bis.is_valid(number):
        return BIS
    raise Refused("niss", NOT_AN_IDENTITY_NUMBER)


def check_provisional(kind: str) -> None:
    """Only a provisional identity is completed: a file that holds a number keeps it (it is the file's key)."""
    if kind != PROVISIONAL:
        raise Refused("niss", "the identity of this file is already complete: its number cannot be changed")


def check_merge(into_kind: str, merged_id: str, into_id: str, both_have_contract: bool) -> None:
    """A provisional file is folded into another file only: not into itself, nor into another provisional one
    (which has no number to vouch that they are the same person); two first contracts cannot become one."""
    if into_id == merged_id:
        raise Refused("into", "a file cannot be merged into itself")
    if into_kind == PROVISIONAL:
        raise Refused("into", "the file to merge into must hold the number: it is provisional too")
    if both_have_contract:
        raise Refused("contract", "both files record a first contract: correct one of them before merging")


def merged_path(kept: tuple[str, str], merged: tuple[str, str]) -> tuple[str, str]:
    """The (stage, status) of the file that survives a merge: the kept file's path stands while it is active
    (the provisional intake only repeated it); a kept file that dropped out or exited goes on from the
    provisional file's path when that one is active (the person came back under a new intake)."""
    return merged if kept[1] != ACTIVE and merged[1] == ACTIVE else kept


def check_stage_move(status: str, current: str | None, target: str) -> None:
    """Any active stage may move to any other (skips and returns are part of a path);
    a dropped-out person re-enters at any stage; an exited file is closed."""
    if target not in STAGES:
        raise TransitionRefused(f"unknown stage '{target}'")
    if status == EXITED:
        raise TransitionRefused("the file is closed (exited): re-open it (a new episode) to follow the person again")
    if status == ACTIVE and current == target:
        raise TransitionRefused(f"already at stage '{target}'")


def check_dropout(status: str) -> None:
    if status != ACTIVE:
        raise TransitionRefused(f"only an active path can drop out (status is '{status}')")


def move_kind(status: str) -> str:
    """How a move along the path is recorded: a dropped-out person re-enters, anyone else moves."""
    return KIND_REENTERED if status == DROPPED_OUT else KIND_MOVED


def check_reopen(status: str) -> None:
    """Only a closed file (exited, or dropped out) is re-opened: an open one is still followed."""
    if status not in CLOSED:
        raise TransitionRefused("the file is still followed (its episode is open): no new episode is needed")


def check_reopen_date(started_on: date, previous_start: date, previous_end: date | None, today: date) -> None:
    """A new episode starts on or after the end of the previous one (its start, if its end is not on record),
    and not in the future."""
    if started_on > today:
        raise Refused("started_on", "is in the future")
    floor = previous_end or previous_start
    if started_on < floor:
        raise Refused("started_on", f"is before the end of the previous episode ({floor.isoformat()})")


def check_not_before_intake(field: str, day: date, registered_on: date) -> None:
    """Nothing of a person's path happens before their intake."""
    if day < registered_on:
        raise Refused(field, "is before the intake")


def check_plan_open(status: str) -> None:
    """A plan is agreed on an open file only."""
    if status == EXITED:
        raise Refused("beneficiary", "the file is closed (exited): re-open it (a new episode) first")


def check_exit(status: str) -> None:
    if status == EXITED:
        raise Refused("status", "already exited")


def check_six_month_date(checked_on: date, check_due: date) -> None:
    """The check counts from the date it is due, six months after the signature, not before."""
    if checked_on < check_due:
        raise Refused("checked_on", f"the check is due from {check_due.isoformat()}")


def check_note_kind(kind: object) -> None:
    if kind not in NOTE_KINDS:
        raise Refused("kind", "must be social or pedagogical")


def forget_reason(basis: str) -> str:
    """Why an agency is asked to forget a person when their disclosure to it ends."""
    return "consent_withdrawn" if basis == CONSENT else "legal_basis_ended"


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
    """The statistics' age band of a person born on ``birth``, on the day ``on``."""
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return "under_25" if age < 25 else "25_to_49" if age < 50 else "50_plus"


STATUSES = (ACTIVE, DROPPED_OUT, EXITED)


# -- transfers between Missions (beneficiary.transfers) --------------------
def check_transfer_target(target: str, own: str, missions: tuple[str, ...]) -> None:
    """A file goes to another Mission the registry lists, never to its own."""
    if target == own:
        raise Refused("to_mission", "the file is already in this Mission: name another Mission")
    if target not in missions:
        raise Refused("to_mission", f"no Mission '{target[:32]}' in the registry")


def check_transferable(status: str) -> None:
    """Only a file still open may be handed over: an exited or already transferred one is a closed record."""
    if status in (EXITED, TRANSFERRED):
        raise Refused("status", f"a file whose status is '{status}' cannot be transferred")


def check_open_file(status: str) -> None:
    """A transferred file is a closed record: nothing of it changes any more."""
    if status == TRANSFERRED:
        raise Refused("status", "the file was transferred to another Mission: it is a closed record")


# -- gaps into the plan ---------------------------------------------------
# The three actions a missing competence becomes (enums.PLAN_ACTIONS): remise à niveau, formation, stage.
GAP_REFRESH, GAP_TRAINING, GAP_INTERNSHIP = "remise_a_niveau", "alternating_training", "confirmation_internship"
GAP_ACTIONS = (GAP_REFRESH, GAP_TRAINING, GAP_INTERNSHIP)


def default_gap_action(gap: Mapping[str, Any]) -> str:
    """The action a missing competence (an item of matching's ``missing``) becomes unless the counsellor
    chooses another: held under the level required → remise à niveau (there is a base to build on); not held
    and essential for the vacancy, or rare (few trades ask for it, so few workplaces teach it) → formation;
    not held, optional and common → a confirmation internship, where a trade's shared know-how is learnt on
    the job."""
    if gap.get("level") is not None:
        return GAP_REFRESH
    if gap.get("essential") or gap.get("rare"):
        return GAP_TRAINING
    return GAP_INTERNSHIP


def gap_choice_errors(
    chosen: Sequence[str], missing: Mapping[str, Mapping[str, Any]], held: Mapping[str, int]
) -> dict[int, str]:
    """Why each chosen code (by its position) cannot become an action: chosen twice; not among what matching
    says is missing for the source; or held at the level required by the person's latest assessment, which
    may be newer than what matching has heard of."""
    errors: dict[int, str] = {}
    seen: set[str] = set()
    for position, code in enumerate(chosen):
        if code in seen:
            errors[position] = "chosen twice"
        elif code not in missing:
            errors[position] = "not missing for this source: matching finds it held, or not asked for"
        elif held.get(code, 0) >= int(missing[code].get("required_level") or 1):
            errors[position] = "the person already holds this competence (latest assessment)"
        seen.add(code)
    return errors


def gap_action(gap: Mapping[str, Any], kind: str, due: date | None, source: Mapping[str, Any]) -> dict[str, Any]:
    """One plan action for one gap, keeping matching's explanation: the competence, what it is missing for,
    whether it is essential and rare, the level required and the one held."""
    label = gap.get("label") or gap["code"]
    title = source.get("title") or source.get("occupation") or ""
    return {
        "kind": kind,
        "description": f"{label} — manquant pour {title}"[:500],
        "due": due.isoformat() if due else None,
        "gap": {
            "code": gap["code"],
            "label": label,
            "missing_for": title,
            "source": {k: source.get(k) for k in ("kind", "vacancy_id", "proposal_id", "occupation")},
            "essential": bool(gap.get("essential")),
            "rare": bool(gap.get("rare")),
            "required_level": int(gap.get("required_level") or 1),
            "level": gap.get("level"),
        },
    }
