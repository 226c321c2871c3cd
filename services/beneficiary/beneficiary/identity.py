"""A provisional identity completed later, and merged when the number turns out to have a file already.

A person taken in with neither a national register nor a BIS number (``register`` with ``identity:
"provisional"``) has a file without a number and a random pseudonym (``application.provisional_pseudonym``):
sector facts about them travel under it, so InterMire already counts them, once.

``complete``: the number becomes known and no file holds it. The file takes it (and its kind); its
pseudonym becomes the number's keyed pseudonym, and InterMire is told ``provisional → keyed`` by the
sector event the key rotation already uses (``be.mire.beneficiary.pseudonym_rekeyed.v1``): InterMire's
aliases (``reporting.rekey``) then count the facts sent under either name as one person. The file's
reference does not change, so the Mission's other services notice nothing. A file that holds a number
already is refused (its number is its key); a number some file holds already is refused with a 409 that
names that file: the two are merged, or the number was mistyped.

``merge``: the counsellor confirms (the number again, and the file the 409 named). Everything the
provisional file holds moves into the kept file in one transaction: target groups it lacks, disclosures
(not one to an agency the kept file already tells), assessments, plan versions (numbered after the kept
file's, so the provisional one's latest becomes the current plan), path moves, notes and the first
contract (refused when both have one). The kept file's path stands while active (``domain.merged_path``);
its contact details are completed, never overwritten. The provisional file is deleted, its corrections
history with it (former spellings of a file that no longer exists), and a trace row says who merged which
file into which, when, and how many records of each kind moved; both files' audit rows stay as they are.
Events, through the outbox in the same transaction:

* to InterMire, ``pseudonym_rekeyed`` (provisional → the kept file's pseudonym): one person there;
* to the Mission's services, ``merged`` (the provisional reference, ``into`` the kept one): convention moves
  the trainee and internship links to the kept file, the Mission's reporting re-attributes the provisional
  file's facts to the kept one (one person in its tables), matching drops the provisional candidate (so the
  person is not ranked twice); then ``assessed`` for each assessment that moved and ``plan_agreed`` for the
  kept file's current plan when plans moved, so matching's view of the kept file holds what the provisional
  one had. No ``erased`` and no sector ``forgotten``: the person is not erased.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from beneficiary import domain, events
from beneficiary.application import CORRECTED, Data, addressed, audit, publisher
from beneficiary.models import (
    Assessment,
    Beneficiary,
    Contract,
    Correction,
    Disclosure,
    Episode,
    FollowedElsewhere,
    IdentityMerge,
    Note,
    Orientation,
    PlanVersion,
    StageTransition,
    TargetGroup,
)
from kit.actor import Actor
from kit.application import Clock, Outcome, internal, refused_as_field_errors
from kit.errors import Conflict, ValidationFailed
from kit.pseudonym import key_id, pseudonym

log = logging.getLogger(__name__)


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def _provisional(who: Beneficiary) -> None:
    with refused_as_field_errors():
        domain.check_provisional(who.niss_kind)


def complete(session: Session, actor: Actor, clock: Clock, source: str, who: Beneficiary, data: Data) -> Outcome[Any]:
    """The provisional file ``who`` takes the number ``data["niss"]``; a 409 naming the file that holds it."""
    _provisional(who)
    niss = _digits(data["niss"])
    with refused_as_field_errors():
        kind = domain.niss_kind(niss)
    holder = session.scalar(select(Beneficiary.id).where(Beneficiary.niss == niss))
    if holder:
        raise Conflict(
            "a file with this number exists in this Mission: merge this provisional file into it", holder, "niss"
        )
    previous = who.pseudonym
    who.niss, who.niss_kind, who.pseudonym, who.pseudonym_key = niss, kind, pseudonym(niss), key_id()
    # A signal InterMire sent under the random pseudonym was about this same person: it follows the rename.
    session.execute(delete(FollowedElsewhere).where(FollowedElsewhere.pseudonym == previous))
    session.flush()
    log.info("completed the identity of beneficiary %s", who.id)
    return Outcome(who, internal([events.pseudonym_rekeyed(source, previous, who)]))


def merge(session: Session, actor: Actor, clock: Clock, source: str, gone: Beneficiary, data: Data) -> Outcome[Any]:
    """Fold the provisional file ``gone`` into the file ``data["into"]``, which must hold ``data["niss"]``."""
    _provisional(gone)
    niss = _digits(data["niss"])
    with refused_as_field_errors():
        domain.niss_kind(niss)
    kept = session.get(Beneficiary, data["into"])
    if kept is None or kept.niss != niss:
        raise ValidationFailed({"into": ["is not the file of this Mission that holds this number"]})
    contracts = {
        c.beneficiary_id
        for c in session.scalars(select(Contract).where(Contract.beneficiary_id.in_([gone.id, kept.id])))
    }
    with refused_as_field_errors():
        domain.check_merge(kept.niss_kind, gone.id, kept.id, len(contracts) == 2)
    if (gone.episode or 1) > 1:
        # Its episodes would have to be interleaved with the kept file's: rare enough to be done by hand.
        raise ValidationFailed({"into": ["the provisional file was re-opened: its episodes cannot be merged"]})
    assessments = list(session.scalars(select(Assessment.id).where(Assessment.beneficiary_id == gone.id)))
    moved = _fold(session, gone, kept)
    kept.stage, kept.status = domain.merged_path((kept.stage, kept.status), (gone.stage, gone.status))
    kept.counsellor = kept.counsellor or gone.counsellor
    kept.phone, kept.email = kept.phone or gone.phone, kept.email or gone.email
    session.add(
        IdentityMerge(
            merged_id=gone.id,
            into_id=kept.id,
            at=clock.now(),
            by=actor.sub,
            role=",".join(actor.roles)[:30],
            moved=moved,
        )
    )
    published = _merge_events(session, source, gone, kept, assessments, moved["plan_versions"] > 0)
    session.execute(delete(FollowedElsewhere).where(FollowedElsewhere.pseudonym == gone.pseudonym))
    session.execute(delete(Correction).where(Correction.record == CORRECTED, Correction.record_id == gone.id))
    session.delete(gone)
    session.flush()
    audit(session, actor, clock, "beneficiary.merge", kept.id)  # the provisional file's by the entrypoint
    log.info("merged beneficiary %s into %s", gone.id, kept.id)
    return Outcome(kept, published)


def _fold(session: Session, gone: Beneficiary, kept: Beneficiary) -> dict[str, int]:
    """Move what ``gone`` holds into ``kept``; how many records of each kind moved."""
    moved: dict[str, int] = {}
    held = {g.group for g in session.scalars(select(TargetGroup).where(TargetGroup.beneficiary_id == kept.id))}
    groups = [g for g in session.scalars(select(TargetGroup).where(TargetGroup.beneficiary_id == gone.id))]
    moved["target_groups"] = _move(session, TargetGroup, [g.id for g in groups if g.group not in held], kept.id)
    telling = set(
        session.scalars(
            select(Disclosure.agency).where(Disclosure.beneficiary_id == kept.id, Disclosure.withdrawn_on.is_(None))
        )
    )
    disclosures = list(session.scalars(select(Disclosure).where(Disclosure.beneficiary_id == gone.id)))
    clash = [d.agency for d in disclosures if d.withdrawn_on is None and d.agency in telling]
    if clash:
        raise Conflict(
            f"both files hold a disclosure to {clash[0]}: withdraw one before merging", kept.id, "disclosures"
        )
    moved["disclosures"] = _move(session, Disclosure, [d.id for d in disclosures], kept.id)
    for model, key in ((Assessment, "assessments"), (Note, "notes")):
        moved[key] = _move_all(session, model, gone.id, {"beneficiary_id": kept.id})
    # What belonged to an episode of the provisional file belongs to the kept file's current one.
    moved["path_moves"] = _move_all(
        session, StageTransition, gone.id, {"beneficiary_id": kept.id, "episode": kept.episode}
    )
    moved["plan_versions"] = _move_plans(session, gone.id, kept.id, kept.episode)
    moved["orientations"] = _move_all(
        session, Orientation, gone.id, {"beneficiary_id": kept.id, "episode": kept.episode}
    )
    contract = session.scalars(select(Contract).where(Contract.beneficiary_id == gone.id)).first()
    moved["contract"] = 0
    if contract is not None:  # one at most: check_merge refuses two, and a provisional file of several episodes
        skip = ("beneficiary_id", "episode")
        values = {c.key: getattr(contract, c.key) for c in Contract.__table__.columns if c.key not in skip}
        session.delete(contract)
        session.flush()
        session.add(Contract(beneficiary_id=kept.id, episode=kept.episode, **values))
        moved["contract"] = 1
    session.execute(delete(Episode).where(Episode.beneficiary_id == gone.id))
    session.flush()
    return moved


def _move(session: Session, model: Any, ids: list[int], into: str) -> int:
    if ids:
        session.execute(update(model).where(model.id.in_(ids)).values(beneficiary_id=into))
    return len(ids)


def _move_all(session: Session, model: Any, gone: str, values: dict[str, Any]) -> int:
    return session.execute(update(model).where(model.beneficiary_id == gone).values(**values)).rowcount or 0


def _move_plans(session: Session, gone: str, kept: str, episode: int) -> int:
    """The provisional file's plan versions, numbered after the kept file's, the latest becoming current."""
    plans = list(
        session.scalars(select(PlanVersion).where(PlanVersion.beneficiary_id == gone).order_by(PlanVersion.version))
    )
    last = session.scalar(select(func.max(PlanVersion.version)).where(PlanVersion.beneficiary_id == kept)) or 0
    skip = ("beneficiary_id", "version", "review_due", "episode")
    columns = [c.key for c in PlanVersion.__table__.columns if c.key not in skip]
    copies = [{key: getattr(plan, key) for key in columns} for plan in plans]
    for plan in plans:
        session.delete(plan)
    session.flush()
    for offset, values in enumerate(copies, start=1):
        # Inserted one by one, in order: the model keeps the file's review date from the last one written.
        session.add(PlanVersion(beneficiary_id=kept, version=last + offset, episode=episode, **values))
        session.flush()
    return len(plans)


def _merge_events(
    session: Session, source: str, gone: Beneficiary, kept: Beneficiary, assessments: list[str], plans_moved: bool
) -> list:
    pub = publisher(session, source, kept)
    out = events.merged(publisher(session, source, gone), pub)
    # Matching forgets the provisional reference: it hears what moved again under the kept one.
    for assessment in session.scalars(
        select(Assessment).where(Assessment.id.in_(assessments)).order_by(Assessment.assessed_on, Assessment.id)
    ):
        out += events.assessed(pub, assessment)
    if plans_moved:
        current = session.scalars(
            select(PlanVersion)
            .where(PlanVersion.beneficiary_id == kept.id)
            .order_by(PlanVersion.version.desc())
            .limit(1)
        ).first()
        out += events.plan_agreed(pub, current)
    return addressed(out)
