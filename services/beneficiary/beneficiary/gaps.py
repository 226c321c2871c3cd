"""Gaps into the plan in one step: the missing competences of a vacancy, a proposal or an occupation become
actions of the person's next plan version, each keeping matching's explanation.

**How the service learns what is missing.** It asks matching (``explain_gaps``, by RPC before the transaction
opens, under ``kit.references.CHECK_TIMEOUT``) rather than trusting the codes the counsellor sends or checking
them against the taxonomy alone: matching holds the vacancy's profile and title as the employer published them,
the proposal and the competences' rarity (its IDF weights), so the actions keep the very words the ranking
showed (label, "manquant pour <title>", essential, rare, levels), and a code that is in the taxonomy but not
missing for that vacancy is refused. Matching's view of the person comes from events and may lag: the chosen
codes are checked again against the person's latest assessment here, the authority on what they hold. If
matching does not answer in time the write fails (504, 503 when it is not running), nothing written.

The next version is the current plan (the current episode's latest version, which the counsellor read:
``plan_version``, 409 when it moved since) plus one action per chosen gap (kind: the counsellor's, or
``domain.default_gap_action``), the chosen codes added to its missing competences and, for an occupation,
that occupation to its targets. It is agreed as any version is (who, when, with the person) and published
through the outbox as ``plan_agreed``, so matching's candidate follows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from beneficiary import domain, events
from beneficiary.application import Data, addressed, publisher
from beneficiary.models import Assessment, Beneficiary, PlanVersion
from beneficiary.schemas import GAP_SOURCES
from kit.actor import Actor
from kit.application import Clock, Outcome, refused_as_field_errors
from kit.errors import Conflict, ValidationFailed

MAX_TARGETS = 5  # as PlanSchema allows


def ask_matching(service: Any, beneficiary_id: object, payload: Data) -> dict[str, Any]:
    """Matching's explanation of what the person lacks for the payload's source (``consult`` of the entrypoint)."""
    return service.matching.explain_gaps(beneficiary_id, **{name: payload.get(name) for name in GAP_SOURCES})


def current_plan(session: Session, who: Beneficiary) -> PlanVersion | None:
    """The current episode's latest plan version."""
    return session.scalars(
        select(PlanVersion)
        .where(PlanVersion.beneficiary_id == who.id, PlanVersion.episode == who.episode)
        .order_by(PlanVersion.version.desc())
        .limit(1)
    ).first()


def held(session: Session, who: Beneficiary) -> dict[str, int]:
    """Competence code → level in the person's latest assessment."""
    latest = session.scalars(
        select(Assessment)
        .where(Assessment.beneficiary_id == who.id)
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
        .limit(1)
    ).first()
    levels: dict[str, int] = {}
    for item in latest.competences if latest else ():
        levels[item["code"]] = max(levels.get(item["code"], 0), int(item["level"]))
    return levels


def plan_from_gaps(
    session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, data: Data, explained: Data
) -> Outcome[PlanVersion]:
    """The next plan version: the current one plus an action per chosen gap (see the module's docstring)."""
    with refused_as_field_errors():
        domain.check_plan_open(who.status)
    current = current_plan(session, who)
    if current is None:
        raise Conflict("no plan is agreed in this episode yet: agree one first", who.id, "plan_version")
    if current.version != data["plan_version"]:
        moved = f"the plan changed since it was read: version {current.version} is current"
        raise Conflict(moved, who.id, "plan_version")
    missing = {gap["code"]: gap for gap in explained["missing"]}
    chosen = [gap["code"] for gap in data["gaps"]]
    refused = domain.gap_choice_errors(chosen, missing, held(session, who))
    if refused:
        raise ValidationFailed({"gaps": {position: {"code": [why]} for position, why in refused.items()}})
    about = explained["source"]
    targets = list(current.target_occupations)
    if about["kind"] == "occupation" and about["occupation"] not in targets:
        if len(targets) >= MAX_TARGETS:
            raise ValidationFailed({"occupation": [f"the plan already has {MAX_TARGETS} target occupations"]})
        targets.append(about["occupation"])
    actions = []
    for gap in data["gaps"]:
        explanation = missing[gap["code"]]
        kind = gap["kind"] or domain.default_gap_action(explanation)
        actions.append(domain.gap_action(explanation, kind, gap["due"], about))
    last = session.scalar(select(func.max(PlanVersion.version)).where(PlanVersion.beneficiary_id == who.id)) or 0
    plan = PlanVersion(
        beneficiary_id=who.id,
        version=last + 1,
        target_occupations=targets,
        missing_competences=list(dict.fromkeys([*current.missing_competences, *chosen])),
        actions=[*current.actions, *actions],
        contract_wishes=current.contract_wishes,
        hours_wish=current.hours_wish,
        mobility_km=current.mobility_km,
        available_from=current.available_from,
        agreed_by=actor.sub,
        agreed_at=clock.now(),
        agreed_with_person=data["agreed_with_person"],
        episode=who.episode,
    )
    session.add(plan)
    session.flush()
    return Outcome(plan, addressed(events.plan_agreed(publisher(session, source, who), plan)))
