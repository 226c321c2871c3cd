"""What falls due in the training projects: trainings ending and follow-up committees. Read side, no nameko.

- ``training_end``: a trainee still in training, due on the training's planned end (its outcome is to be
  recorded: completed, hired, not hired or dropped out);
- ``committee``: a project with people in training holds a follow-up committee ("comité d'accompagnement")
  at least every ``COMMITTEE_EVERY_DAYS`` days, counted from the last one held, or from the first training's
  start when none was. The rhythm is the platform's choice (DOMAIN.md names the committees, not how often
  they meet): one a quarter.

An item is ``overdue`` once its date has passed, ``due`` from today to ``horizon_days`` ahead; ``lead``
narrows the list to the projects one person created. Trainees are named by reference only: names are the
beneficiary service's.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from convention.enums import IN_TRAINING
from convention.models import Committee, Internship, Project, Trainee

DEFAULT_HORIZON_DAYS = 30
MAX_HORIZON_DAYS = 366
MAX_DUE_ITEMS = 500
COMMITTEE_EVERY_DAYS = 91
FOLLOW_UP = "follow_up"


class DueSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    lead = fields.String(load_default=None, validate=validate.Length(1, 100))
    horizon_days = fields.Integer(
        load_default=DEFAULT_HORIZON_DAYS, strict=True, validate=validate.Range(0, MAX_HORIZON_DAYS)
    )


def _items(session: Session, today: date, until: date, lead: str | None) -> list[dict[str, Any]]:
    ends = (
        select(Trainee.planned_end, Trainee.id, Trainee.beneficiary_id, Project.id, Project.title)
        .join(Project, Project.id == Trainee.project_id)
        .where(Trainee.status == IN_TRAINING, Trainee.planned_end <= until)
    )
    if lead is not None:
        ends = ends.where(Project.created_by == lead)
    items = [
        {
            "kind": "training_end",
            "due_on": row[0].isoformat(),
            "overdue": row[0] < today,
            "trainee_id": row[1],
            "beneficiary_id": row[2],
            "project": {"id": row[3], "title": row[4]},
        }
        for row in session.execute(ends.order_by(Trainee.planned_end))
    ]
    training = (
        select(Trainee.project_id, func.min(Trainee.start_date).label("since"))
        .where(Trainee.status == IN_TRAINING)
        .group_by(Trainee.project_id)
        .subquery()
    )
    last = (
        select(Committee.project_id, func.max(Committee.held_on).label("held"))
        .where(Committee.kind == FOLLOW_UP)
        .group_by(Committee.project_id)
        .subquery()
    )
    projects = (
        select(Project.id, Project.title, training.c.since, last.c.held)
        .join(training, training.c.project_id == Project.id)
        .outerjoin(last, last.c.project_id == Project.id)
    )
    if lead is not None:
        projects = projects.where(Project.created_by == lead)
    every = timedelta(days=COMMITTEE_EVERY_DAYS)
    for pid, title, since, held in session.execute(projects):
        due_on = max(since, held) + every if held else since + every
        if due_on <= until:
            items.append(
                {
                    "kind": "committee",
                    "due_on": due_on.isoformat(),
                    "overdue": due_on < today,
                    "last_held_on": held.isoformat() if held else None,
                    "project": {"id": pid, "title": title},
                }
            )
    items.sort(key=lambda i: (not i["overdue"], i["due_on"]))
    return items


def due(session: Session, today: date, horizon_days: int, lead: str | None = None) -> dict[str, Any]:
    """Trainings ending and committees falling due by ``today + horizon_days``, overdue first, with counts."""
    until = today + timedelta(days=horizon_days)
    items = _items(session, today, until, lead)
    counts = {kind: {"overdue": 0, "due": 0} for kind in ("training_end", "committee")}
    for item in items:
        counts[item["kind"]]["overdue" if item["overdue"] else "due"] += 1
    return {
        "today": today.isoformat(),
        "until": until.isoformat(),
        "lead": lead,
        "counts": counts,
        "items": items[:MAX_DUE_ITEMS],
        "truncated": len(items) > MAX_DUE_ITEMS,
    }


def due_counts(session: Session, today: date, horizon_days: int = DEFAULT_HORIZON_DAYS) -> dict[tuple[str, str], int]:
    """The Mission's ``(kind, "due"|"overdue") → count``, for the metrics."""
    counts = due(session, today, horizon_days)["counts"]
    return {(kind, state): n for kind, states in counts.items() for state, n in states.items()}


def person_records(session: Session, beneficiary_id: str) -> tuple[list[Internship], list[Trainee], dict[str, str]]:
    """A person's confirmation internships and trainee records, oldest first, and their projects' titles."""
    internships = list(
        session.scalars(
            select(Internship).where(Internship.beneficiary_id == beneficiary_id).order_by(Internship.start_date)
        )
    )
    trainees = list(
        session.scalars(select(Trainee).where(Trainee.beneficiary_id == beneficiary_id).order_by(Trainee.start_date))
    )
    wanted = {i.project_id for i in internships} | {t.project_id for t in trainees}
    titles = {p.id: p.title for p in session.scalars(select(Project).where(Project.id.in_(wanted)))} if wanted else {}
    return internships, trainees, titles


def trainings(session: Session, beneficiary_id: str) -> dict[str, list[dict[str, Any]]]:
    """What a person's file shows of the training projects: their internships and trainings, each with its
    project (the person's path, as the counsellor follows it; the whole record is the subject access's)."""
    internships, trainees, titles = person_records(session, beneficiary_id)
    return {
        "internships": [
            {
                "project_id": i.project_id,
                "project_title": titles.get(i.project_id),
                "start_date": i.start_date.isoformat(),
                "end_date": i.end_date.isoformat(),
                "outcome": i.outcome,
            }
            for i in internships
        ],
        "trainings": [
            {
                "project_id": t.project_id,
                "project_title": titles.get(t.project_id),
                "status": t.status,
                "start_date": t.start_date.isoformat(),
                "planned_end": t.planned_end.isoformat(),
                "completed_on": t.completed_on.isoformat() if t.completed_on else None,
                "hired_on": t.hired_on.isoformat() if t.hired_on else None,
                "tutor_name": t.tutor_name,
            }
            for t in trainees
        ],
    }
