"""Bringing a Mission's existing files in: one person and their history, written as the live use cases write them.

``passerelle import-files`` (``runtime/importing``) reads a file row by row and hands each person here as
payloads already loaded through the service's own schemas (``beneficiary.schemas``). ``bring_in`` then calls
the use cases of ``beneficiary.application`` in the order the facts happened, each with a clock standing at
the fact's own date (``OnDay``): intake, assessment, plan, stage moves, first contract, six-month check,
exit. So the rules are the live ones (a move after exit, a contract before intake or a check before it is due
are refused the same way), and the events are the ones the same facts would have published live, with their
true dates in their data, which is what reporting files them under. Everything goes into the caller's
transaction: a person is written whole or not at all.

Who did it: the facts are recorded under the import's system actor (``IMPORT_ACTOR``), the person's
counsellor is the one the file names, and an audit row ``beneficiary.import`` says who ran the import, from
which file and row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from beneficiary import application as app
from beneficiary.models import Beneficiary
from kit.actor import IMPORT_SUB, Actor
from kit.application import Addressed, OnDay, Outcome, SystemClock
from kit.errors import Conflict, ValidationFailed

Data = dict[str, Any]


def import_actor(mission: str) -> Actor:
    """The named system actor imported facts are recorded under (stage moves' ``by``, audit rows)."""
    return Actor(IMPORT_SUB, mission, ("counsellor",))


@dataclass
class History:
    """One person's file as the import read it: each part loaded through its schema, each dated."""

    intake: Data  # IntakeSchema, registered_on set
    counsellor: str | None = None
    assessment: Data | None = None  # AssessmentSchema, assessed_on set
    plan: tuple[date, Data] | None = None  # PlanSchema
    moves: list[tuple[date, Data]] = field(default_factory=list)  # StageMoveSchema
    contract: Data | None = None  # ContractSchema, employer_id resolved
    follow_up: Data | None = None  # FollowUpSchema
    exit: tuple[date, Data] | None = None  # ExitSchema


class StepRefused(Exception):
    """A part of the history the live rules refuse: which part (``step``), and the field-level errors."""

    def __init__(self, step: str, errors: dict[str, Any]):
        super().__init__(step, errors)
        self.step, self.errors = step, errors


def on_file(session: Session, niss: str) -> Beneficiary | None:
    """The person of this Mission with national (or BIS) number ``niss`` (digits only), if any."""
    found: Beneficiary | None = session.scalar(select(Beneficiary).where(Beneficiary.niss == niss))
    return found


# (day, order among facts of the same day, which part of the history, use case, its payload)
Step = tuple[date, int, str, app.FileChange, Data]


def bring_in(
    session: Session, actor: Actor, source: str, history: History, run_by: str, origin: str
) -> Outcome[Beneficiary]:
    """Register the person and replay their history through the use cases, in date order.

    Raises ``StepRefused`` naming the part a rule refused (nothing is written when the caller rolls back),
    or ``Conflict`` when the Mission already has the national number.
    """
    intake = history.intake
    on_intake = OnDay(intake["registered_on"])
    try:
        registered = app.register(session, actor, on_intake, source, intake)
    except ValidationFailed as exc:
        raise StepRefused("intake", exc.errors) from None
    who = registered.value
    if history.counsellor:
        who.counsellor = history.counsellor
    published: list[Addressed] = list(registered.events)
    # The import itself is audited when it happens (the facts keep their own dates): who ran it, from what.
    app.audit(session, actor, SystemClock(), "beneficiary.import", who.id, f"{run_by}: {origin}")

    steps: list[Step] = []
    if history.assessment is not None:
        steps.append((history.assessment["assessed_on"], 1, "assessment", app.assess, history.assessment))
    if history.plan is not None:
        steps.append((history.plan[0], 2, "plan", app.agree_plan, history.plan[1]))
    for n, (day, move) in enumerate(history.moves):
        steps.append((day, 3, f"move:{n}", app.move_stage, move))
    if history.contract is not None:
        steps.append((history.contract["signed_on"], 4, "contract", app.record_contract, history.contract))
    if history.follow_up is not None:
        follow_up = history.follow_up
        steps.append((follow_up["checked_on"], 5, "follow_up", app.record_six_month_check, follow_up))
    if history.exit is not None:
        steps.append((history.exit[0], 6, "exit", app.exit_path, history.exit[1]))

    for day, _, step, use_case, data in sorted(steps, key=lambda s: (s[0], s[1])):
        if day < who.registered_on:
            raise StepRefused(step, {"date": ["is before the intake date"]})
        try:
            outcome = use_case(session, actor, OnDay(day), source, who, data)
        except ValidationFailed as exc:
            raise StepRefused(step, exc.errors) from None
        except Conflict as exc:
            raise StepRefused(step, {"date": [exc.message]}) from None
        published.extend(outcome.events)
    return Outcome(who, published)
