"""Subject access (GDPR art. 15), the convention service's part: a person's internships and trainee records.

Every confirmation internship and every enrolment in a training project of the person, each with the
project's title (what the record is about), and every move of each enrolment. The service holds nothing
else about a person: projects, conventions and committees are the employer's and the Mission's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from convention import queries
from convention.models import Trainee, TraineeTransition
from kit.subject_access import record, records


def export(session: Session, beneficiary_id: str) -> dict[str, Any]:
    internships, trainees, titles = queries.person_records(session, beneficiary_id)

    def moves(trainee: Trainee) -> list[dict[str, Any]]:
        query = select(TraineeTransition).where(TraineeTransition.trainee_id == trainee.id)
        return records(session.scalars(query.order_by(TraineeTransition.at, TraineeTransition.id)))

    return {
        "internships": [{**(record(i) or {}), "project_title": titles.get(i.project_id)} for i in internships],
        "trainee_records": [
            {**(record(t) or {}), "project_title": titles.get(t.project_id), "moves": moves(t)} for t in trainees
        ],
    }
