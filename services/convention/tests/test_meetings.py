"""Meetings with partner organisations: the rules as plain functions, and the use cases on a SQLite session
with a fixed clock (no broker, no nameko): what is refused on which field, what the events carry."""

from datetime import UTC, datetime, timedelta

import pytest
from convention import application as app
from convention import meeting_rules as rules
from convention import meeting_schemas as ms
from convention import meetings, schemas
from convention.domain import RuleBroken
from convention.models import Base, Correction, Meeting, MeetingPartner
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from kit import inputs
from kit.actor import Actor
from kit.corrections import StaleVersion
from kit.errors import ValidationFailed
from kit.testing import FixedClock

SOURCE = "/missions/mirec/convention"
LEAD = Actor("paula.lead", "mirec", ("project_lead",))
AGENT = Actor("eric.agent", "mirec", ("employer_relations",))
CLOCK = FixedClock(datetime(2026, 12, 7, 9, 30, tzinfo=UTC))
HELD = CLOCK.today() - timedelta(days=1)
CPAS, ALE, OTHER = "p-cpas", "p-ale", "p-other"
TYPES = {CPAS: "cpas", ALE: "ale"}


# -- the rules ---------------------------------------------------------------------------------
def test_attendance_names_every_organisation_invited_once_and_no_other():
    given = [{"partner_id": ALE, "status": "absent"}, {"partner_id": CPAS, "status": "present"}]
    assert rules.attendance([CPAS, ALE], given) == {CPAS: "present", ALE: "absent"}
    with pytest.raises(RuleBroken) as missing:
        rules.attendance([CPAS, ALE], given[:1])
    assert list(missing.value.errors["attendance"]) == ["_missing"]
    with pytest.raises(RuleBroken) as outsider:
        rules.attendance([CPAS, ALE], [*given, {"partner_id": OTHER, "status": "present"}])
    assert outsider.value.errors == {
        "attendance": {2: {"partner_id": ["this organisation was not invited to the meeting"]}}
    }
    with pytest.raises(RuleBroken) as twice:
        rules.attendance([CPAS], [given[1], given[1]])
    assert list(twice.value.errors["attendance"]) == [1]


def test_a_decision_is_acted_on_by_the_mission_or_an_organisation_invited_not_before_the_meeting():
    kept = rules.decisions(
        [CPAS], HELD, [{"text": "Envoyer le calendrier", "acts": "mission", "due_on": HELD + timedelta(days=7)}]
    )
    assert kept == [
        {"text": "Envoyer le calendrier", "acts": "mission", "due_on": (HELD + timedelta(days=7)).isoformat()}
    ]
    with pytest.raises(RuleBroken) as refused:
        rules.decisions(
            [CPAS],
            HELD,
            [
                {"text": "x", "acts": CPAS, "due_on": HELD},
                {"text": "y", "acts": OTHER, "due_on": HELD - timedelta(days=1)},
            ],
        )
    assert refused.value.errors == {
        "decisions": {
            1: {
                "acts": ["the Mission or an organisation invited to the meeting acts on a decision"],
                "due_on": ["a decision is due on or after the day of the meeting"],
            }
        }
    }


def test_minutes_once_for_a_meeting_held_and_corrections_only_of_closed_minutes():
    rules.can_record_minutes(rules.PLANNED, HELD, CLOCK.today())
    with pytest.raises(RuleBroken) as early:
        rules.can_record_minutes(rules.PLANNED, CLOCK.today() + timedelta(days=1), CLOCK.today())
    assert list(early.value.errors) == ["held_on"]
    with pytest.raises(RuleBroken) as closed:
        rules.can_record_minutes(rules.CLOSED, HELD, CLOCK.today())
    assert list(closed.value.errors) == ["status"]
    with pytest.raises(RuleBroken):
        rules.can_correct(rules.PLANNED)
    rules.can_correct(rules.CLOSED)
    with pytest.raises(RuleBroken) as twice:
        rules.check_invited([CPAS, ALE, CPAS])
    assert twice.value.errors == {"partner_ids": {2: ["this organisation is already invited"]}}
    assert rules.counts({CPAS: "present", ALE: "excused"}) == {"present": 1, "excused": 1, "absent": 0}


def test_the_schema_has_no_field_for_a_person():
    assert not {f for f in ms.MeetingSchema().fields if "beneficiar" in f or "person" in f}
    with pytest.raises(ValidationFailed) as refused:
        inputs.load(ms.MeetingSchema(), {**_plan(), "beneficiary_id": "b-1"})
    assert "beneficiary_id" in refused.value.errors


def test_the_organisations_are_checked_with_the_directory_in_one_question():
    asked = []

    def lookup(kind, ids):
        asked.append((kind, ids))
        return {i: TYPES[i] for i in ids if i in TYPES}

    assert meetings.partner_types(lookup, [CPAS, ALE]) == TYPES
    with pytest.raises(ValidationFailed) as unknown:
        meetings.partner_types(lookup, [CPAS, OTHER])
    assert list(unknown.value.errors) == ["partner_ids"]
    assert asked == [("partner", [ALE, CPAS]), ("partner", [CPAS, OTHER])]


# -- the use cases ---------------------------------------------------------------------------------
@pytest.fixture
def uow():
    engine = create_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _project(uow) -> str:
    data = inputs.load(
        schemas.ProjectSchema(),
        {
            "title": "Maçons à Charleroi-Nord",
            "vacancy_id": "3f7c9a52-1d5e-4c5a-9a8e-0b1e2c3d4e5f",
            "employer_id": "8a1b2c3d-4e5f-4061-8a7b-9c0d1e2f3a4b",
            "employer_convention": {
                "post_title": "Maçon",
                "hires_committed": 1,
                "contract_type": "permanent",
                "hours_per_week": 38,
            },
            "training_convention": {
                "operators": [{"name": "Construform", "enterprise_number": "0403170701"}],
                "training_profile": "Maçon",
                "specification": "Gros oeuvre",
                "hours_centre": 300,
                "hours_work": 200,
                "start_date": "2027-01-04",
                "end_date": "2027-06-30",
                "trainees_planned": 4,
            },
        },
    )
    return app.create_project(uow, LEAD, CLOCK, SOURCE, data).value.id


def _plan(**changes):
    return {
        "title": "Plateforme CLAIS",
        "held_on": HELD.isoformat(),
        "place": "Maison de l'emploi",
        "partner_ids": [CPAS, ALE],
        "agenda": [{"title": "Le projet maçons"}],
        **changes,
    }


def _minutes(**changes):
    return inputs.load(
        ms.MinutesSchema(),
        {
            "attendance": [{"partner_id": CPAS, "status": "present"}, {"partner_id": ALE, "status": "absent"}],
            "staff_present": [{"name": "Paula Lead"}],
            "decisions": [{"text": "Relancer l'ALE", "acts": "mission", "due_on": CLOCK.today().isoformat()}],
            **changes,
        },
    )


def test_a_meeting_planned_minuted_and_corrected(uow):
    project = _project(uow)
    data = inputs.load(ms.MeetingSchema(), _plan(project_ids=[project]))
    planned = meetings.plan_meeting(uow, LEAD, CLOCK, SOURCE, data, TYPES)
    assert planned.events == []
    mid = planned.value.id
    assert {(p.partner_id, p.partner_type) for p in uow.scalars(select(MeetingPartner))} == {
        (CPAS, "cpas"),
        (ALE, "ale"),
    }

    held = meetings.record_minutes(uow, AGENT, CLOCK, SOURCE, mid, _minutes())
    assert held.value.status == rules.CLOSED and held.value.closed_by == "eric.agent"
    (held_event, _), (decided, _) = held.events
    assert held_event.type.endswith("meeting_held.v1") and decided.type.endswith("meeting_decisions_recorded.v1")
    assert held_event.data["project_ids"] == [project] and held_event.data["present"] == 1
    assert decided.data["decisions"] == [{"acts": "mission", "due_on": CLOCK.today().isoformat()}]
    assert "Relancer" not in str(decided.data) and "Paula" not in str(held_event.data)

    with pytest.raises(ValidationFailed) as again:
        meetings.record_minutes(uow, AGENT, CLOCK, SOURCE, mid, _minutes())
    assert list(again.value.errors) == ["status"]

    fix = inputs.load(ms.MinutesCorrectionSchema(), {"version": 1, "decisions": []})
    corrected = meetings.correct_minutes(uow, LEAD, CLOCK, SOURCE, mid, fix)
    assert corrected.value.version == 2 and corrected.value.decisions == []
    assert [e.type.rsplit(".", 2)[-2] for e, _ in corrected.events] == ["meeting_decisions_recorded"]
    assert corrected.events[0][0].data["version"] == 2
    assert uow.scalar(select(func.count()).select_from(Correction)) == 1
    with pytest.raises(StaleVersion):
        meetings.correct_minutes(uow, LEAD, CLOCK, SOURCE, mid, fix)

    listed = meetings.list_meetings(uow, project, ALE, HELD, None, 1, 25)
    assert [m["id"] for m in listed["items"]] == [mid] and listed["items"][0]["partners_invited"] == 2
    assert meetings.list_meetings(uow, None, OTHER, None, None, 1, 25)["total"] == 0
    with pytest.raises(ValidationFailed):
        meetings.list_meetings(uow, None, None, HELD, HELD - timedelta(days=1), 1, 25)


def test_an_unknown_project_is_refused_on_its_field_with_nothing_written(uow):
    data = inputs.load(ms.MeetingSchema(), _plan(project_ids=["no-such-project"]))
    with pytest.raises(ValidationFailed) as refused:
        meetings.plan_meeting(uow, LEAD, CLOCK, SOURCE, data, TYPES)
    assert refused.value.errors == {"project_ids": {0: ["no project with this reference in this Mission"]}}
    assert uow.scalar(select(func.count()).select_from(Meeting)) == 0
