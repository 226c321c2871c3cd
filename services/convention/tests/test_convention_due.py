"""Trainings ending and follow-up committees falling due, on a real migrated SQLite database (no broker).

Through the gateway and the browser: ``tests/integration/test_search_and_due.py`` and the front office's
``finding_and_what_is_due`` scenario.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from convention import queries
from convention.models import Committee, Project, Trainee
from sqlalchemy.orm import Session

from kit.migrations import upgrade

TODAY = date.today()


@pytest.fixture
def engine(tmp_path):
    url = f"sqlite:///{tmp_path}/convention.sqlite"
    upgrade("convention", url)
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


def project(session, pid, lead="paula@mirec"):
    session.add(
        Project(
            id=pid,
            title=f"Projet {pid}",
            vacancy_id="v",
            employer_id="e",
            created_at=datetime.now(UTC),
            created_by=lead,
        )
    )


def trainee(session, tid, pid, start_days_ago, end_in, status="in_training"):
    session.add(
        Trainee(
            id=tid,
            project_id=pid,
            beneficiary_id=f"b-{tid}",
            status=status,
            start_date=TODAY - timedelta(days=start_days_ago),
            planned_end=TODAY + timedelta(days=end_in),
            enrolled_at=datetime.now(UTC),
        )
    )


def committee(session, pid, days_ago, kind="follow_up"):
    session.add(
        Committee(
            id=f"c-{pid}-{days_ago}-{kind}",
            project_id=pid,
            kind=kind,
            held_on=TODAY - timedelta(days=days_ago),
            attendees=[],
            decisions=[],
            recorded_at=datetime.now(UTC),
            recorded_by="paula@mirec",
            recorded_role="project_lead",
        )
    )


def test_trainings_ending_and_committees_due_overdue_first(engine):
    with Session(engine) as session, session.begin():
        project(session, "p1")
        trainee(session, "t1", "p1", start_days_ago=100, end_in=-2)  # ended, outcome not recorded: overdue
        trainee(session, "t2", "p1", start_days_ago=100, end_in=20)
        trainee(session, "t3", "p1", start_days_ago=100, end_in=-5, status="hired")  # settled: nothing due
        committee(session, "p1", days_ago=80)  # next follow-up in 11 days
        committee(session, "p1", days_ago=10, kind="pedagogical")  # not a follow-up committee
        project(session, "p2", lead="other@mirec")
        trainee(session, "t4", "p2", start_days_ago=120, end_in=90)  # no committee since the start: overdue
        project(session, "p3")  # nobody in training: nothing due
    with Session(engine) as session:
        found = queries.due(session, TODAY, 30)
        mine = queries.due(session, TODAY, 30, lead="paula@mirec")
        counts = queries.due_counts(session, TODAY)
    assert [(i["kind"], i["project"]["id"], i["overdue"]) for i in found["items"]] == [
        ("committee", "p2", True),
        ("training_end", "p1", True),
        ("committee", "p1", False),
        ("training_end", "p1", False),
    ]
    assert found["items"][2]["due_on"] == (TODAY - timedelta(days=80) + timedelta(days=91)).isoformat()
    assert found["items"][1]["trainee_id"] == "t1"
    assert found["counts"] == {"training_end": {"overdue": 1, "due": 1}, "committee": {"overdue": 1, "due": 1}}
    assert {i["project"]["id"] for i in mine["items"]} == {"p1"}
    assert counts[("committee", "overdue")] == 1 and counts[("training_end", "due")] == 1
