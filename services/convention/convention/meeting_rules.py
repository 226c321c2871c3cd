"""The rules of meetings with partner organisations (the CLAIS forum), free of nameko and of I/O.

A meeting is planned (title, date, place, the projects it concerns, the partner organisations invited, an
agenda), then held: its minutes (each invited organisation present, excused or absent; the Mission's staff
present; the decisions, each with who acts and by when) close it. Closed minutes change only by a correction
naming the version read (``kit.corrections``). A meeting is about projects and organisations, never about a
person followed by the Mission: nothing here takes or keeps a job seeker's name or reference.

Each rule raises ``convention.domain.RuleBroken`` with field-level messages (a list's entries keyed by their
index, as marshmallow does), which the use cases answer as a 422.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, cast

from convention.domain import RuleBroken

PLANNED, CLOSED = "planned", "closed"
STATUSES = (PLANNED, CLOSED)
PRESENT, EXCUSED, ABSENT = "present", "excused", "absent"
ATTENDANCE = (PRESENT, EXCUSED, ABSENT)
# Who acts on a decision: the Mission itself, or one of the organisations invited (by reference).
MISSION = "mission"
# The minutes' parts a correction may change.
MINUTES_FIELDS = ("attendance", "staff_present", "decisions")


def _refused(field: str, errors: dict[Any, Any]) -> RuleBroken:
    """A refusal naming entries of a list by their index (marshmallow's nested shape of errors)."""
    return RuleBroken({field: cast(list[str], errors)})


def check_invited(partner_ids: Sequence[str]) -> None:
    """Each organisation is invited once."""
    seen: set[str] = set()
    errors: dict[Any, list[str]] = {}
    for index, partner in enumerate(partner_ids):
        if partner in seen:
            errors[index] = ["this organisation is already invited"]
        seen.add(partner)
    if errors:
        raise _refused("partner_ids", errors)


def check_projects(project_ids: Sequence[str], known: Iterable[str]) -> None:
    """Each project named is one of this Mission's, named once."""
    existing, seen = set(known), set()
    errors: dict[Any, list[str]] = {}
    for index, project in enumerate(project_ids):
        if project not in existing:
            errors[index] = ["no project with this reference in this Mission"]
        elif project in seen:
            errors[index] = ["this project is already named"]
        seen.add(project)
    if errors:
        raise _refused("project_ids", errors)


def can_record_minutes(status: str, held_on: date, today: date) -> None:
    """Minutes are recorded once, for a meeting that has taken place."""
    if status == CLOSED:
        raise RuleBroken({"status": ["the minutes are already recorded: correct them with the version you read"]})
    if held_on > today:
        raise RuleBroken({"held_on": [f"the meeting is planned for {held_on.isoformat()}: record it once held"]})


def can_correct(status: str) -> None:
    if status != CLOSED:
        raise RuleBroken({"status": ["the meeting has no minutes yet: record them first"]})


def attendance(invited: Sequence[str], given: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """Every organisation invited, once each, present, excused or absent; no organisation that was not invited.

    ``given``: ``[{partner_id, status}]``. Returns ``{partner_id: status}`` in the order of the invitations.
    """
    wanted = set(invited)
    errors: dict[Any, Any] = {}
    marked: dict[str, str] = {}
    for index, entry in enumerate(given):
        partner = entry["partner_id"]
        if partner not in wanted:
            errors[index] = {"partner_id": ["this organisation was not invited to the meeting"]}
        elif partner in marked:
            errors[index] = {"partner_id": ["this organisation's attendance is already given"]}
        else:
            marked[partner] = entry["status"]
    missing = [p for p in invited if p not in marked]
    if missing and not errors:
        errors["_missing"] = [f"say whether each organisation invited came: {len(missing)} not given"]
    if errors:
        raise _refused("attendance", errors)
    return {p: marked[p] for p in invited}


def decisions(invited: Sequence[str], held_on: date, given: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each decision is acted on by the Mission or an organisation invited, by a date not before the meeting.

    ``given``: ``[{text, acts, due_on}]``; returned as stored (``due_on`` as ISO text), in the order given.
    """
    allowed = {MISSION, *invited}
    errors: dict[Any, Any] = {}
    kept = []
    for index, entry in enumerate(given):
        problems: dict[str, list[str]] = {}
        if entry["acts"] not in allowed:
            problems["acts"] = ["the Mission or an organisation invited to the meeting acts on a decision"]
        if entry["due_on"] < held_on:
            problems["due_on"] = ["a decision is due on or after the day of the meeting"]
        if problems:
            errors[index] = problems
            continue
        kept.append({"text": entry["text"], "acts": entry["acts"], "due_on": entry["due_on"].isoformat()})
    if errors:
        raise _refused("decisions", errors)
    return kept


def staff(given: Sequence[Mapping[str, Any]]) -> list[dict[str, str | None]]:
    """The Mission's staff present, as stored."""
    return [{"name": s["name"], "function": s.get("function")} for s in given]


def counts(marked: Mapping[str, str]) -> dict[str, int]:
    """How many organisations were present, excused and absent."""
    return {status: sum(1 for s in marked.values() if s == status) for status in ATTENDANCE}
