"""Subject access (GDPR art. 15), the convention service's part: a person's internships and trainee records.

Every confirmation internship and every enrolment in a training project of the person, each with the
project's title (what the record is about), and every move of each enrolment. The service holds nothing
else about a person: projects, conventions and committees are the employer's and the Mission's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from convention.models import Internship, Project, Trainee, TraineeTransition
from kit.subject_access import record, records


def export(session: Session, beneficiary_id: str) -> dict[str, Any]:
    internships = session.scalars(
        select(Internship).where(Internship.beneficiary_id == beneficiary_id).order_by(Internship.start_date)
    ).all()
    trainees = session.scalars(
        select(Trainee).where(Trainee.beneficiary_id == beneficiary_id).order_by(Trainee.start_date)
    ).all()
    titles = {
        p.id: p.title
        for p in session.scalars(
            select(Project).where(
                Project.id.in_({i.project_id for i in internships} | {t.project_id for t in trainees})
            )
        )
    }

    def moves(trainee: Trainee) -> list[dict[str, Any]]:
        query = select(TraineeTransition).where(TraineeTransition.trainee_id == trainee.id)
        return records(session.scalars(query.order_by(TraineeTransition.at, TraineeTransition.id)))

    return {
        "internships": [{**(record(i) or {}), "project_title": titles.get(i.project_id)} for i in internships],
        "trainee_records": [
            {**(record(t) or {}), "project_title": titles.get(t.project_id), "moves": moves(t)} for t in trainees
        ],
    }
