"""Subject access (GDPR art. 15), the beneficiary service's part: everything it holds about one person.

The file (identity, national or BIS number, contact details, referrer, stage and status), target groups
with their evidence (sensitive or not: it is the person's own), agency disclosures and what the agencies told
the Mission about the person (``beneficiary.agency_facts``), every move of the path,
every plan version, every assessment, every note of every kind, every episode of accompaniment, the first
contract of each episode and its six-month check (``contract``: the latest one), the other Missions said to
follow the person, the provisional files merged into this one (``beneficiary.identity``), the file's transfers
between Missions and the requests received for the person's number (``beneficiary.transfer_records``: references,
Missions, dates, status and reasons, never the file a request carried), their orientations to partners' services
with purpose, what was shared and the outcome (``beneficiary.orientations``), the partner's referral the file was
opened from (``beneficiary.referrals``: what the partner gave, its answer), and the audit trail
of who read or changed the file (or a file merged into it, or its referral).
Reading it is itself audited (``beneficiary.subject_access``, purpose ``subject_access``), before the trail
is read, so the copy shows its own making.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from beneficiary import application as app
from beneficiary import transfer_records
from beneficiary.models import (
    AgencyFact,
    Assessment,
    Audit,
    Contract,
    Disclosure,
    Episode,
    FollowedElsewhere,
    IdentityMerge,
    Note,
    Orientation,
    PlanVersion,
    Referral,
    StageTransition,
    TargetGroup,
)
from kit.actor import Actor
from kit.application import Clock
from kit.subject_access import record, records

ACTION, PURPOSE = "beneficiary.subject_access", "subject_access"


def export(session: Session, actor: Actor, clock: Clock, beneficiary_id: object) -> dict[str, Any]:
    """The beneficiary service's part of the person's copy (NotFound for a file this Mission does not hold)."""
    who = app.person(session, beneficiary_id)
    app.audit(session, actor, clock, ACTION, who.id, PURPOSE)
    session.flush()

    def of(model: Any, *order: Any) -> list[Any]:
        return list(session.scalars(select(model).where(model.beneficiary_id == who.id).order_by(*order)))

    signal = session.get(FollowedElsewhere, who.pseudonym)
    merges = list(
        session.scalars(select(IdentityMerge).where(IdentityMerge.into_id == who.id).order_by(IdentityMerge.id))
    )
    referrals = of(Referral, Referral.submitted_at, Referral.id)
    subjects = [who.id, *(m.merged_id for m in merges), *(r.id for r in referrals)]
    return {
        "file": record(who, leave_out=("search_name",)),
        "target_groups": records(of(TargetGroup, TargetGroup.since, TargetGroup.id)),
        "disclosures": records(of(Disclosure, Disclosure.given_on, Disclosure.id)),
        "agency_facts": records(of(AgencyFact, AgencyFact.occurred_on, AgencyFact.received_at)),
        "path": records(of(StageTransition, StageTransition.at, StageTransition.id)),
        "plans": records(of(PlanVersion, PlanVersion.version)),
        "assessments": records(of(Assessment, Assessment.assessed_on, Assessment.id)),
        "notes": records(of(Note, Note.at, Note.id)),
        "episodes": records(of(Episode, Episode.number)),
        "contract": record(app.latest_contract(session, who)),
        "contracts": records(of(Contract, Contract.episode)),
        "followed_elsewhere": record(signal),
        "merges": records(merges),
        "transfers": transfer_records.copy(session, who),
        "orientations": records(of(Orientation, Orientation.made_on, Orientation.id)),
        "referrals": records(referrals, leave_out=("search_name",)),
        "audit": records(
            session.scalars(select(Audit).where(Audit.subject.in_(subjects)).order_by(Audit.at, Audit.id))
        ),
    }
