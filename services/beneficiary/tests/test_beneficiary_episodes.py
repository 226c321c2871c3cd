"""Coming back: the rules of episodes and the re-opening of a closed file, called directly (migrated SQLite,
fixed clock, no broker)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from beneficiary import application as app
from beneficiary import domain, events, schemas
from beneficiary.models import Audit, Contract, Episode, PlanVersion, StageTransition
from sqlalchemy import select

from kit import inputs
from kit.actor import Actor
from kit.application import to_outbox
from kit.errors import Conflict, FileExists, ValidationFailed
from kit.migrations import alembic_config, upgrade
from kit.rules import Refused
from kit.testing import FixedClock, migrated, session
from runtime.demo import DemoFactory

SOURCE = "/missions/mirec/beneficiary"
COUNSELLOR = Actor("anne.counsellor", "mirec", ("counsellor",))
PLAN = {
    "target_occupations": ["F1703"],
    "missing_competences": [],
    "actions": [],
    "contract_wishes": ["permanent"],
    "hours_wish": 38,
    "mobility_km": 20,
    "available_from": None,
    "agreed_with_person": True,
}


def back(started_on=None, why="revient après un déménagement", referrer_type="cpas"):
    return {"started_on": started_on, "referrer_type": referrer_type, "referrer_organisation": None, "why": why}


# -- rules ------------------------------------------------------------------
def test_only_a_closed_file_is_reopened():
    domain.check_reopen("exited")
    domain.check_reopen("dropped_out")
    with pytest.raises(domain.TransitionRefused, match="still followed"):
        domain.check_reopen("active")


def test_a_new_episode_starts_after_the_previous_one_ends_and_not_in_the_future():
    today = date(2026, 3, 2)
    domain.check_reopen_date(date(2026, 2, 1), date(2025, 1, 1), date(2026, 2, 1), today)  # the day it ended
    with pytest.raises(Refused) as refused:
        domain.check_reopen_date(date(2026, 1, 31), date(2025, 1, 1), date(2026, 2, 1), today)
    assert refused.value.field == "started_on" and "2026-02-01" in refused.value.message
    with pytest.raises(Refused, match="before the end"):  # no end on record: not before the start
        domain.check_reopen_date(date(2024, 12, 31), date(2025, 1, 1), None, today)
    with pytest.raises(Refused, match="future"):
        domain.check_reopen_date(date(2026, 3, 3), date(2025, 1, 1), date(2026, 2, 1), today)


def test_the_reopening_form_refuses_what_it_does_not_know():
    with pytest.raises(ValidationFailed) as refused:
        inputs.load(schemas.ReopenSchema(), {"referrer_type": "nobody", "why": "", "status": "active"})
    assert set(refused.value.errors) == {"referrer_type", "why", "status"}
    loaded = inputs.load(schemas.ReopenSchema(), {})
    assert loaded == {"started_on": None, "referrer_type": "self", "referrer_organisation": None, "why": None}


# -- use cases --------------------------------------------------------------
@pytest.fixture
def store(tmp_path):
    with migrated("beneficiary", f"sqlite:///{tmp_path}/beneficiary.sqlite") as store:
        yield store


@pytest.fixture
def clock():
    return FixedClock()


def intake(**changes):
    return inputs.load(schemas.IntakeSchema(), DemoFactory(seed=23).beneficiary() | changes)


def registered(store, clock, **changes):
    with session(store) as s, s.begin():
        return to_outbox(s, app.register(s, COUNSELLOR, clock, SOURCE, intake(**changes)))


def test_intake_opens_episode_one_and_an_exit_ends_it(store, clock):
    person = registered(store, clock, registered_on="2025-09-01")
    with session(store) as s, s.begin():
        who = app.person(s, person.id)
        first = s.get(Episode, (who.id, 1))
        assert (who.episode, first.started_on, first.ended_on) == (1, date(2025, 9, 1), None)
        assert first.referrer_type == who.referrer_type
        app.exit_path(s, COUNSELLOR, clock, SOURCE, who, {"reason": "moved", "why": None})
        assert (first.ended_on, first.outcome, first.outcome_reason) == (clock.today(), "exited", "moved")


def test_a_dropped_out_person_who_re_enters_continues_the_same_episode(store, clock):
    person = registered(store, clock, registered_on="2025-09-01")
    with session(store) as s, s.begin():
        who = app.person(s, person.id)
        app.drop_out(s, COUNSELLOR, clock, SOURCE, who, {"reason": "health", "why": None})
        assert s.get(Episode, (who.id, 1)).outcome == "dropped_out"
        app.move_stage(s, COUNSELLOR, clock, SOURCE, who, {"to": "formation", "why": None})
        episode = s.get(Episode, (who.id, 1))
        assert (episode.ended_on, episode.outcome, who.episode) == (None, None, 1)


def test_reopening_a_closed_file_starts_a_new_episode_and_keeps_the_old_one(store, clock):
    person = registered(store, clock, registered_on="2025-06-01")
    with session(store) as s, s.begin():
        who = app.person(s, person.id)
        app.agree_plan(s, COUNSELLOR, clock, SOURCE, who, PLAN)
        app.move_stage(s, COUNSELLOR, clock, SOURCE, who, {"to": "placement", "why": None})
        signed = {"signed_on": date(2025, 12, 1), "employer_id": "e-1", "contract_type": "temp", "hours_per_week": 38}
        app.record_contract(s, COUNSELLOR, clock, SOURCE, who, dict(signed))
        app.exit_path(s, COUNSELLOR, clock, SOURCE, who, {"reason": "durable_employment", "why": None})
    clock.at += timedelta(days=30)
    with session(store) as s, s.begin():
        who = app.file_to_change(s, COUNSELLOR, clock, "beneficiary.reopen", person.id)
        done = app.reopen(s, COUNSELLOR, clock, SOURCE, who, back())
        assert done.value == {
            "id": who.id,
            "episode": 2,
            "started_on": clock.today(),
            "stage": "accueil",
            "status": "active",
        }
        assert (who.stage, who.status, who.episode, who.plan_review_due) == ("accueil", "active", 2, None)
        # Internal and sector events; no agency event without a disclosure on record.
        assert [(e.type, e.audience, to) for e, to in done.events] == [
            (events.REOPENED, "internal", None),
            (events.REOPENED, "sector", None),
        ]
        internal_data, sector_data = (e.data for e, _ in done.events)
        assert internal_data["episode"] == 2 and "episode" not in sector_data  # InterMire counts, by month
        assert "referrer_type" not in internal_data and "why" not in internal_data
        assert sector_data["pseudonym"] == who.pseudonym and sector_data["month"] == clock.today().strftime("%Y-%m")
        assert "beneficiary_id" not in sector_data
        # The re-opening is audited under its own action.
        assert s.scalars(select(Audit.action).where(Audit.subject == who.id)).all()[-1] == "beneficiary.reopen"
    with session(store) as s, s.begin():
        read = app.file(s, COUNSELLOR, clock, "mirec", person.id, "accompaniment", True)
        # The new episode has no plan or contract of its own; the first one's stay, with its dates and outcome.
        assert (read.plan_version, read.contract, read.episode) == (None, None, 2)
        assert [(e.number, e.outcome) for e in read.episodes] == [(2, None), (1, "exited")]
        assert read.episodes[0].why == "revient après un déménagement"
        kinds = s.execute(select(StageTransition.episode, StageTransition.kind).order_by(StageTransition.id)).all()
        assert [tuple(k) for k in kinds] == [(1, "entered"), (1, "moved"), (1, "exited"), (2, "reopened")]
        who = app.person(s, person.id)
        # The new episode has its own plan and first contract.
        plan = app.agree_plan(s, COUNSELLOR, clock, SOURCE, who, PLAN).value
        assert (plan.version, plan.episode) == (2, 2)
        assert s.scalars(select(PlanVersion.episode).order_by(PlanVersion.version)).all() == [1, 2]
        again = {"signed_on": clock.today(), "employer_id": "e-2", "contract_type": "permanent", "hours_per_week": 38}
        app.record_contract(s, COUNSELLOR, clock, SOURCE, who, again)
        assert s.scalars(select(Contract.episode).order_by(Contract.episode)).all() == [1, 2]
        with pytest.raises(Conflict, match="already recorded in this episode"):
            app.record_contract(s, COUNSELLOR, clock, SOURCE, who, dict(again))


def test_an_open_file_is_not_reopened_and_a_date_before_the_exit_is_refused(store, clock):
    person = registered(store, clock, registered_on="2025-06-01")
    with session(store) as s, s.begin():
        who = app.person(s, person.id)
        with pytest.raises(Conflict, match="still followed"):
            app.reopen(s, COUNSELLOR, clock, SOURCE, who, back())
        app.exit_path(s, COUNSELLOR, clock, SOURCE, who, {"reason": "moved", "why": None})
    with session(store) as s, s.begin():
        who = app.person(s, person.id)
        with pytest.raises(ValidationFailed) as refused:
            app.reopen(s, COUNSELLOR, clock, SOURCE, who, back(started_on=clock.today() - timedelta(days=1)))
        assert list(refused.value.errors) == ["started_on"]
    with session(store) as s:  # nothing partly written
        who = app.person(s, person.id)
        assert (who.status, who.episode) == ("exited", 1)
        assert len(s.scalars(select(Episode)).all()) == 1


def test_intake_of_a_number_on_file_names_the_file_and_whether_it_can_be_reopened(store, clock):
    person = registered(store, clock)
    with session(store) as s, s.begin(), pytest.raises(FileExists) as open_file:
        app.register(s, COUNSELLOR, clock, SOURCE, intake(first_name="Autre"))
    assert open_file.value.existing == person.id and not open_file.value.reopenable
    assert open_file.value.details == {"file_status": "open", "reopenable": False}
    with session(store) as s, s.begin():
        app.exit_path(s, COUNSELLOR, clock, SOURCE, app.person(s, person.id), {"reason": "moved", "why": None})
    with session(store) as s, s.begin(), pytest.raises(FileExists) as closed_file:
        app.register(s, COUNSELLOR, clock, SOURCE, intake(first_name="Autre"))
    assert closed_file.value.reopenable and "re-open it" in closed_file.value.message
    assert closed_file.value.details == {"file_status": "closed", "reopenable": True}


def test_the_migration_gives_each_file_its_first_episode_ended_as_it_was_closed(tmp_path):
    url = f"sqlite:///{tmp_path}/old.sqlite"
    command.upgrade(alembic_config("beneficiary", url), "0010")
    engine = sa.create_engine(url)
    person = DemoFactory(seed=31).beneficiary()
    people = {"p-open": "active", "p-exited": "exited", "p-dropped": "dropped_out", "p-back": "active"}
    moves = [
        ("p-exited", "exited", "moved", "2026-02-10 10:00:00"),
        ("p-dropped", "dropped_out", "health", "2026-02-11 10:00:00"),
        ("p-back", "dropped_out", "health", "2026-02-12 10:00:00"),  # then re-entered: still open
    ]
    with engine.begin() as conn:
        for n, (pid, status) in enumerate(people.items()):
            conn.execute(
                sa.text(
                    "INSERT INTO beneficiary (id, niss, pseudonym, pseudonym_key, first_name, last_name, birth_date,"
                    " gender, municipality, registered_on, created_at, stage, status, counsellor, referrer_type)"
                    " VALUES (:id, :niss, :id, '', 'A', 'B', :born, 'F', '52011', '2026-01-05', :now, 'formation',"
                    " :status, 'anne', 'cpas')"
                ),
                {
                    "id": pid,
                    "niss": f"{n:011d}",
                    "born": person["birth_date"],
                    "now": datetime.now(UTC),
                    "status": status,
                },
            )
        for pid, kind, reason, at in moves:
            conn.execute(
                sa.text(
                    "INSERT INTO stage_transition (beneficiary_id, from_stage, to_stage, kind, reason, at, by, role)"
                    " VALUES (:id, 'formation', 'formation', :kind, :reason, :at, 'anne', 'counsellor')"
                ),
                {"id": pid, "kind": kind, "reason": reason, "at": at},
            )
        conn.execute(
            sa.text(
                "INSERT INTO contract (beneficiary_id, signed_on, employer_id, contract_type, hours_per_week,"
                " check_due) VALUES ('p-exited', '2026-01-20', 'e-1', 'temp', 38, '2026-07-20')"
            )
        )
    upgrade("beneficiary", url)
    with engine.connect() as conn:
        episodes = {
            row.beneficiary_id: (row.number, row.started_on, row.ended_on, row.outcome, row.outcome_reason)
            for row in conn.execute(sa.text("SELECT * FROM episode"))
        }
        contract = conn.execute(sa.text("SELECT beneficiary_id, episode FROM contract")).one()
        current = dict(conn.execute(sa.text("SELECT id, episode FROM beneficiary")).all())
    engine.dispose()
    assert episodes == {
        "p-open": (1, "2026-01-05", None, None, None),
        "p-exited": (1, "2026-01-05", "2026-02-10", "exited", "moved"),
        "p-dropped": (1, "2026-01-05", "2026-02-11", "dropped_out", "health"),
        "p-back": (1, "2026-01-05", None, None, None),
    }
    assert tuple(contract) == ("p-exited", 1) and set(current.values()) == {1}
