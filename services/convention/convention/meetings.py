"""Meetings with partner organisations (the CLAIS forum): use cases, answers and listings.

Free of nameko, like ``convention.application``: each use case takes the unit of work, the actor, a clock
and the events' source, applies ``convention.meeting_rules`` (refusals answer 422 on their field) and returns
an ``Outcome`` whose events the caller adds to the outbox in the same transaction.

- **Planned**: a meeting names this service's own projects (checked here, 422 on ``project_ids``) and the
  partner organisations invited, checked with the employer service's partner directory before any
  transaction opens (``partner_types``: ``kit.references``, 422 on ``partner_ids``); it keeps each
  organisation's type as the directory gave it.
- **Held**: its minutes (attendance of every organisation invited, the Mission's staff present, decisions
  with who acts and by when) close it, once; the meeting must have taken place. Events: ``meeting_held``
  (attendance counted) and ``meeting_decisions_recorded`` (who acts, by when; the text stays here).
- **Corrected**: closed minutes change only with the version read (``kit.corrections``: 409 when corrected
  since, each change kept in the ``correction`` table); the event of the part that changed is told again
  with the new version, so a consumer keeps the latest.

No personal data of a job seeker: a meeting has no field for one, and its events carry references, counts
and dates only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contracts import internal
from contracts.envelope import Event
from contracts.payloads import build
from convention import domain
from convention import meeting_rules as rules
from convention.meeting_schemas import MeetingOutSchema
from convention.models import Correction, Meeting, MeetingPartner, MeetingProject, Project
from kit import corrections, inputs
from kit.application import Clock, Outcome
from kit.application import internal as unaddressed
from kit.errors import NotFound, ValidationFailed
from kit.references import Ref, check

if TYPE_CHECKING:
    from collections.abc import Iterator

    from kit.actor import Actor
    from kit.references import Lookup

Data = dict[str, Any]
MEETING = "meeting"


@contextmanager
def _rules() -> Iterator[None]:
    try:
        yield
    except domain.RuleBroken as exc:
        raise ValidationFailed(exc.errors) from None


# -- before the transaction: the partner directory ----------------------------------
def partner_types(lookup: Lookup, partner_ids: list[str]) -> dict[str, str | None]:
    """Check that every organisation invited is in this Mission's partner directory (422 on ``partner_ids``
    otherwise) and answer each one's type, with one question to the employer service."""
    with _rules():
        rules.check_invited(partner_ids)
    answered: dict[str, str | None] = {}

    def asking(kind: str, ids: list[str]) -> Mapping[str, str | None]:
        found = lookup(kind, ids)
        answered.update(found)
        return found

    check([Ref("partner_ids", "partner", p) for p in partner_ids], asking)
    return answered


def consult_partners(rpc_lookup: Callable[[Mapping[str, object]], Lookup]) -> Callable[..., dict[str, str | None]]:
    """The entrypoint's ``consult``: the service's employer proxy asked for the payload's organisations."""

    def consult(service: Any, payload: Data) -> dict[str, str | None]:
        return partner_types(rpc_lookup({"employer": service.employer}), payload["partner_ids"])

    return consult


# -- use cases -------------------------------------------------------------------------
def plan_meeting(
    uow: Session, actor: Actor, clock: Clock, source: str, data: Data, types: Mapping[str, str | None]
) -> Outcome[Meeting]:
    """A meeting planned with its projects, the organisations invited (``types``: checked before, with their
    type) and its agenda. Nothing is told: a meeting is a fact once held."""
    projects = list(data["project_ids"])
    with _rules():
        rules.check_invited(data["partner_ids"])
        rules.check_projects(projects, uow.scalars(select(Project.id).where(Project.id.in_(projects))))
    meeting = Meeting(
        id=str(uuid.uuid4()),
        title=data["title"],
        held_on=data["held_on"],
        starts_at=data["starts_at"],
        place=data["place"],
        agenda=[{"title": item["title"], "detail": item["detail"]} for item in data["agenda"]],
        status=rules.PLANNED,
        version=1,
        created_at=clock.now(),
        created_by=actor.sub,
    )
    uow.add(meeting)
    uow.flush()
    uow.add_all(MeetingProject(meeting_id=meeting.id, project_id=p) for p in projects)
    uow.add_all(
        MeetingPartner(meeting_id=meeting.id, partner_id=p, partner_type=(types.get(p) or None))
        for p in data["partner_ids"]
    )
    uow.flush()
    return Outcome(meeting)


def record_minutes(
    uow: Session, actor: Actor, clock: Clock, source: str, meeting_id: object, data: Data
) -> Outcome[Meeting]:
    """The minutes of a meeting held: attendance, staff present, decisions; the meeting is then closed."""
    meeting = _get(uow, meeting_id, lock=True)
    invited = _invited(uow, meeting.id)
    with _rules():
        rules.can_record_minutes(meeting.status, meeting.held_on, clock.today())
        meeting.attendance = rules.attendance(invited, data["attendance"])
        meeting.decisions = rules.decisions(invited, meeting.held_on, data["decisions"])
    meeting.staff_present = rules.staff(data["staff_present"])
    meeting.status, meeting.closed_at, meeting.closed_by = rules.CLOSED, clock.now(), actor.sub
    uow.flush()
    projects = _projects(uow, meeting.id)
    return Outcome(meeting, unaddressed([_held(source, meeting, projects), _decided(source, meeting, projects)]))


def correct_minutes(
    uow: Session, actor: Actor, clock: Clock, source: str, meeting_id: object, data: Data
) -> Outcome[Meeting]:
    """Correct closed minutes at the version the caller read (409 otherwise); each change kept."""
    sent = corrections.sent_version(data)
    meeting = _get(uow, meeting_id)
    invited = _invited(uow, meeting.id)
    corrected: Data = {}
    with _rules():
        rules.can_correct(meeting.status)
        if "attendance" in data:
            corrected["attendance"] = rules.attendance(invited, data["attendance"])
        if "decisions" in data:
            corrected["decisions"] = rules.decisions(invited, meeting.held_on, data["decisions"])
    if "staff_present" in data:
        corrected["staff_present"] = rules.staff(data["staff_present"])
    version = corrections.claim(uow, meeting, Correction, MEETING, sent)
    changes = corrections.apply(meeting, corrected, rules.MINUTES_FIELDS)
    if not changes:
        raise corrections.nothing_changed()
    uow.add_all(corrections.history_rows(Correction, MEETING, meeting.id, version, actor, clock.now(), changes))
    uow.flush()
    changed = {c.field for c in changes}
    projects = _projects(uow, meeting.id)
    told = []
    if changed & {"attendance", "staff_present"}:
        told.append(_held(source, meeting, projects))
    if "decisions" in changed:
        told.append(_decided(source, meeting, projects))
    return Outcome(meeting, unaddressed(told))


# -- events ------------------------------------------------------------------------------
def _held(source: str, meeting: Meeting, projects: list[str]) -> Event:
    marked = meeting.attendance or {}
    counted = rules.counts(marked)
    return build(
        internal.MeetingHeldV1(
            meeting_id=meeting.id,
            project_ids=projects,
            held_on=meeting.held_on,
            version=meeting.version,
            invited=len(marked),
            present=counted[rules.PRESENT],
            excused=counted[rules.EXCUSED],
            absent=counted[rules.ABSENT],
            partners_present=[p for p, s in marked.items() if s == rules.PRESENT],
            staff_present=len(meeting.staff_present or []),
        ),
        source=source,
        subject=meeting.id,
    )


def _decided(source: str, meeting: Meeting, projects: list[str]) -> Event:
    return build(
        internal.MeetingDecisionsRecordedV1(
            meeting_id=meeting.id,
            project_ids=projects,
            held_on=meeting.held_on,
            version=meeting.version,
            decisions=[
                internal.MeetingDecision(acts=d["acts"], due_on=date.fromisoformat(d["due_on"]))
                for d in meeting.decisions or []
            ],
        ),
        source=source,
        subject=meeting.id,
    )


# -- reads -------------------------------------------------------------------------------
def _get(uow: Session, meeting_id: object, lock: bool = False) -> Meeting:
    row = uow.get(Meeting, meeting_id, with_for_update=lock) if isinstance(meeting_id, str) else None
    if row is None:
        raise NotFound(MEETING, str(meeting_id)[:64])
    return row


def _invited(uow: Session, meeting_id: str) -> list[str]:
    return list(
        uow.scalars(
            select(MeetingPartner.partner_id)
            .where(MeetingPartner.meeting_id == meeting_id)
            .order_by(MeetingPartner.partner_id)
        )
    )


def _projects(uow: Session, meeting_id: str) -> list[str]:
    return list(
        uow.scalars(
            select(MeetingProject.project_id)
            .where(MeetingProject.meeting_id == meeting_id)
            .order_by(MeetingProject.project_id)
        )
    )


def meeting_answer(uow: Session, meeting: Meeting) -> Data:
    """A meeting with its projects (and their titles), the organisations invited with their attendance, the
    agenda, and once held the staff present, the decisions and the corrections of the minutes."""
    body: Data = MeetingOutSchema().dump(meeting)
    marked = meeting.attendance or {}
    body["projects"] = [
        {"id": pid, "title": title}
        for pid, title in uow.execute(
            select(Project.id, Project.title)
            .join(MeetingProject, MeetingProject.project_id == Project.id)
            .where(MeetingProject.meeting_id == meeting.id)
            .order_by(Project.title, Project.id)
        )
    ]
    body["partners"] = [
        {"partner_id": p.partner_id, "partner_type": p.partner_type, "attendance": marked.get(p.partner_id)}
        for p in uow.scalars(
            select(MeetingPartner).where(MeetingPartner.meeting_id == meeting.id).order_by(MeetingPartner.partner_id)
        )
    ]
    body["staff_present"] = list(meeting.staff_present or [])
    body["decisions"] = list(meeting.decisions or [])
    body["corrections"] = corrections.history(uow, Correction, MEETING, meeting.id)
    return body


def read_meeting(uow: Session, meeting_id: object) -> Data:
    return meeting_answer(uow, _get(uow, meeting_id))


def list_meetings(
    uow: Session,
    project_id: str | None,
    partner_id: str | None,
    date_from: date | None,
    date_to: date | None,
    page: int,
    page_size: int,
) -> Data:
    """Meetings, the latest first, filtered by a project they concern, an organisation invited, a date range."""
    if date_from is not None and date_to is not None and date_to < date_from:
        raise ValidationFailed({"date_to": ["is before date_from"]})
    offset, limit = inputs.page_window(page, page_size)
    query = select(Meeting)
    if project_id is not None:
        query = query.where(
            Meeting.id.in_(select(MeetingProject.meeting_id).where(MeetingProject.project_id == project_id))
        )
    if partner_id is not None:
        query = query.where(
            Meeting.id.in_(select(MeetingPartner.meeting_id).where(MeetingPartner.partner_id == partner_id))
        )
    if date_from is not None:
        query = query.where(Meeting.held_on >= date_from)
    if date_to is not None:
        query = query.where(Meeting.held_on <= date_to)
    total = uow.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(uow.scalars(query.order_by(Meeting.held_on.desc(), Meeting.id).offset(offset).limit(limit)))
    ids = [m.id for m in rows]
    projects: dict[str, list[str]] = {i: [] for i in ids}
    partners: dict[str, int] = dict.fromkeys(ids, 0)
    for mid, pid in uow.execute(
        select(MeetingProject.meeting_id, MeetingProject.project_id)
        .where(MeetingProject.meeting_id.in_(ids))
        .order_by(MeetingProject.project_id)
    ):
        projects[mid].append(pid)
    for mid, n in uow.execute(
        select(MeetingPartner.meeting_id, func.count())
        .where(MeetingPartner.meeting_id.in_(ids))
        .group_by(MeetingPartner.meeting_id)
    ):
        partners[mid] = n
    items = []
    for meeting in rows:
        item = MeetingOutSchema(exclude=("agenda",)).dump(meeting)
        item["project_ids"] = projects[meeting.id]
        item["partners_invited"] = partners[meeting.id]
        item["decisions"] = len(meeting.decisions or [])
        items.append(item)
    return {"items": items, "page": page, "page_size": page_size, "total": total}
