"""Convention use cases called directly: a session on SQLite in memory, a fixed clock, no broker, no nameko.

What each use case writes, which events it returns (and to whom), and what the clock decides. The same
requests through the service class, with the outbox and the inbox, are in ``test_convention_rules.py``.
"""

from datetime import UTC, datetime, timedelta

import pytest
from convention import application as app
from convention import schemas
from convention.models import Base, Convention, ConventionTransition, Internship, Party, Trainee
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from kit import inputs
from kit.actor import Actor
from kit.errors import ValidationFailed
from kit.testing import FixedClock

SOURCE = "/missions/mirec/convention"
LEAD = Actor("paula.lead", "mirec", ("project_lead",))
OPERATOR_BCE = "0403170701"


CLOCK = FixedClock(datetime(2026, 11, 16, 9, 30, tzinfo=UTC))
START, END = CLOCK.today() - timedelta(days=120), CLOCK.today() - timedelta(days=10)


@pytest.fixture
def uow():
    """One session on an in-memory SQLite database holding the convention tables (one shared connection)."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def project_data(workplace="52011", **training):
    return inputs.load(
        schemas.ProjectSchema(),
        {
            "title": "Maçons pour le chantier de Gosselies",
            "vacancy_id": "3f7c9a52-1d5e-4c5a-9a8e-0b1e2c3d4e5f",
            "employer_id": "8a1b2c3d-4e5f-4061-8a7b-9c0d1e2f3a4b",
            "employer_convention": {
                "post_title": "Maçon",
                "hires_committed": 1,
                "contract_type": "permanent",
                "hours_per_week": 38,
                "workplace_municipality": workplace,
            },
            "training_convention": {
                "operators": [{"name": "Centre de formation Construform", "enterprise_number": OPERATOR_BCE}],
                "training_profile": "Maçon – référentiel SFMQ",
                "specification": "Gros oeuvre, 12 modules",
                "hours_centre": 300,
                "hours_work": 200,
                "start_date": START.isoformat(),
                "end_date": END.isoformat(),
                "trainees_planned": 1,
                **training,
            },
        },
    )


def drafts(uow, **kw) -> dict[str, Convention]:
    project = app.create_project(uow, LEAD, CLOCK, SOURCE, project_data(**kw)).value
    return {c.kind: c for c in uow.scalars(select(Convention).where(Convention.project_id == project.id))}


def signed(uow, convention: Convention):
    """Submit and sign by every party; returns the last signature's outcome."""
    app.move(uow, LEAD, CLOCK, SOURCE, convention.id, "submit")
    parties = uow.scalars(select(Party.party).where(Party.convention_id == convention.id).order_by(Party.id)).all()
    for party in parties:
        done = app.sign(
            uow,
            LEAD,
            CLOCK,
            SOURCE,
            convention.id,
            {"party": party, "signer_name": "Marie Dupont", "signer_function": None},
        )
    return done


def running(uow) -> dict[str, Convention]:
    conventions = drafts(uow)
    for kind in ("employer", "training"):
        signed(uow, conventions[kind])
        app.move(uow, LEAD, CLOCK, SOURCE, conventions[kind].id, "activate")
    return conventions


def test_a_project_is_two_drafts_stamped_by_the_clock_and_publishes_nothing(uow):
    done = app.create_project(uow, LEAD, CLOCK, SOURCE, project_data())
    assert done.events == [] and done.value.created_at.replace(tzinfo=UTC) == CLOCK.at
    rows = uow.scalars(select(Convention).where(Convention.project_id == done.value.id)).all()
    assert sorted((c.kind, c.status, c.version) for c in rows) == [("employer", "draft", 1), ("training", "draft", 1)]
    audit = uow.scalars(select(ConventionTransition)).all()
    assert {(t.from_status, t.to_status, t.by, t.role) for t in audit} == {
        (None, "draft", "paula.lead", "project_lead")
    }


def test_the_last_signature_publishes_for_the_mission_the_sector_and_the_agency_of_the_jobs_region(uow):
    conventions = drafts(uow, workplace="52011")  # Charleroi: Wallonia, Le Forem
    first = app.move(uow, LEAD, CLOCK, SOURCE, conventions["employer"].id, "submit")
    assert first.events == []  # submitting is not a fact anyone else counts
    done = app.sign(
        uow,
        LEAD,
        CLOCK,
        SOURCE,
        conventions["employer"].id,
        {"party": "mission", "signer_name": "Ann", "signer_function": None},
    )
    assert done.value.status == "partially_signed" and done.events == []
    done = app.sign(
        uow,
        LEAD,
        CLOCK,
        SOURCE,
        conventions["employer"].id,
        {"party": "employer", "signer_name": "Bob", "signer_function": None},
    )
    assert done.value.status == "signed"
    assert [(e.type, e.audience, to) for e, to in done.events] == [
        ("be.mire.convention.signed.v1", "internal", None),
        ("be.mire.convention.signed.v1", "sector", None),
        ("be.mire.convention.signed.v1", "agency", "forem"),
    ]
    internal = done.events[0][0].data
    assert internal["on"] == CLOCK.today().isoformat() and internal["hires_committed"] == 1
    # The signature audit: who recorded it, when (the clock), for which party.
    party = uow.scalar(
        select(Party).where(Party.convention_id == conventions["employer"].id, Party.party == "employer")
    )
    assert (party.signer_name, party.recorded_by, party.signed_at.replace(tzinfo=UTC)) == (
        "Bob",
        "paula.lead",
        CLOCK.at,
    )


def test_a_flemish_workplace_tells_no_agency(uow):
    conventions = drafts(uow, workplace="11002")  # Antwerpen
    done = signed(uow, conventions["employer"])
    assert [to for _, to in done.events] == [None, None]


def test_refusals_raise_field_errors_and_leave_the_status_as_it_was(uow):
    conventions = drafts(uow)
    with pytest.raises(ValidationFailed) as refused:
        app.move(uow, LEAD, CLOCK, SOURCE, conventions["employer"].id, "activate")
    assert refused.value.errors == {"status": ["cannot activate a convention that is draft"]}
    assert conventions["employer"].status == "draft"
    signed(uow, conventions["training"])
    with pytest.raises(ValidationFailed) as refused:
        app.move(uow, LEAD, CLOCK, SOURCE, conventions["training"].id, "activate")
    assert refused.value.errors == {"status": ["the employer convention must be signed first"]}


def test_a_hire_is_dated_by_the_clock_and_completion_evaluates_the_commitment(uow):
    conventions = running(uow)
    project_id = conventions["employer"].project_id
    app.record_internship(
        uow,
        LEAD,
        CLOCK,
        SOURCE,
        project_id,
        {
            "beneficiary_id": "b-1",
            "host_employer_id": None,
            "start_date": START - timedelta(days=14),
            "end_date": START - timedelta(days=3),
            "outcome": "confirmed",
        },
    )
    enrolled = app.enrol(
        uow,
        LEAD,
        CLOCK,
        SOURCE,
        project_id,
        {"beneficiary_id": "b-1", "start_date": START, "planned_end": END, "tutor": {"name": "Jean", "function": None}},
    )
    trainee = enrolled.value
    # internal only: InterMire counts no enrolment (reporting's catalogue), so it has no sector form
    assert [(e.type, e.audience) for e, _ in enrolled.events] == [
        ("be.mire.convention.trainee_enrolled.v1", "internal")
    ]
    app.trainee_move(uow, LEAD, CLOCK, SOURCE, trainee.id, "complete", {"on": END})
    # The clock's today bounds a hiring date: the day after is refused, today is taken.
    tomorrow = CLOCK.today() + timedelta(days=1)
    with pytest.raises(ValidationFailed) as refused:
        app.trainee_move(uow, LEAD, CLOCK, SOURCE, trainee.id, "hire", {"on": tomorrow, "contract_type": "permanent"})
    assert list(refused.value.errors) == ["on"] and CLOCK.today().isoformat() in refused.value.errors["on"][0]
    hired = app.trainee_move(
        uow, LEAD, CLOCK, SOURCE, trainee.id, "hire", {"on": CLOCK.today(), "contract_type": "permanent"}
    )
    assert hired.value.status == "hired"
    assert {e.data.get("contract_type") for e, _ in hired.events} == {"permanent"}

    app.move(uow, LEAD, CLOCK, SOURCE, conventions["training"].id, "complete")
    done = app.move(uow, LEAD, CLOCK, SOURCE, conventions["employer"].id, "complete")
    assert (done.value.hires_actual, done.value.commitment_outcome) == (1, "fulfilled")
    assert done.value.evaluated_at.replace(tzinfo=UTC) == CLOCK.at
    assert [(e.type.split(".")[3], e.audience) for e, _ in done.events] == [
        ("completed", "internal"),
        ("commitment_evaluated", "internal"),
        ("commitment_evaluated", "sector"),
    ]
    assert done.events[-1][0].data == {
        "convention_id": conventions["employer"].id,
        "month": "2026-11",
        "outcome": "fulfilled",
    }


def test_a_committee_ending_a_training_returns_the_drop_out_and_refuses_strangers(uow):
    conventions = running(uow)
    project_id = conventions["employer"].project_id
    uow.add(
        Internship(
            id="i-1",
            project_id=project_id,
            beneficiary_id="b-1",
            start_date=START,
            end_date=START,
            outcome="confirmed",
            recorded_at=CLOCK.at,
            recorded_by="x",
        )
    )
    trainee = app.enrol(
        uow,
        LEAD,
        CLOCK,
        SOURCE,
        project_id,
        {"beneficiary_id": "b-1", "start_date": START, "planned_end": END, "tutor": {"name": "Jean", "function": None}},
    ).value
    meeting = {"kind": "follow_up", "held_on": START + timedelta(days=30), "attendees": ["mission", "employer"]}
    with pytest.raises(ValidationFailed) as refused:
        app.hold_committee(
            uow, LEAD, CLOCK, SOURCE, project_id, dict(meeting, attendees=["mission", "someone"], decisions=[])
        )
    assert list(refused.value.errors) == ["attendees"]
    end = {"trainee_id": trainee.id, "kind": "end_training", "until": None, "tutor": None, "reason": "health"}
    done = app.hold_committee(uow, LEAD, CLOCK, SOURCE, project_id, dict(meeting, decisions=[end]))
    committee, absent = done.value
    assert absent == [f"operator:{OPERATOR_BCE}"] and committee.decisions[0]["kind"] == "end_training"
    assert trainee.status == "dropped_out"
    assert [(e.type, e.data.get("reason")) for e, _ in done.events] == [
        ("be.mire.convention.trainee_dropped_out.v1", "health")
    ]


def test_erasure_unlinks_the_person_and_keeps_the_records(uow):
    conventions = running(uow)
    project_id = conventions["employer"].project_id
    uow.add(
        Internship(
            id="i-1",
            project_id=project_id,
            beneficiary_id="b-1",
            start_date=START,
            end_date=START,
            outcome="confirmed",
            recorded_at=CLOCK.at,
            recorded_by="x",
        )
    )
    app.enrol(
        uow,
        LEAD,
        CLOCK,
        SOURCE,
        project_id,
        {"beneficiary_id": "b-1", "start_date": START, "planned_end": END, "tutor": {"name": "Jean", "function": None}},
    )
    app.forget_beneficiary(uow, "b-1")
    assert uow.scalar(select(func.count()).select_from(Trainee).where(Trainee.beneficiary_id.is_(None))) == 1
    assert uow.scalar(select(func.count()).select_from(Internship).where(Internship.beneficiary_id.is_(None))) == 1
    assert uow.scalar(select(func.count()).select_from(Trainee).where(Trainee.beneficiary_id == "b-1")) == 0
