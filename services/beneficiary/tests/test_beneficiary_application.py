"""The beneficiary rules and use cases, called directly: a migrated SQLite database, a fixed clock, no broker."""

from datetime import date, timedelta

import pytest
from beneficiary import application as app
from beneficiary import domain, events, schemas
from beneficiary.models import Audit, Beneficiary, ErasureResidue, StageTransition
from sqlalchemy import func, select

from kit import inputs
from kit.actor import Actor
from kit.application import to_outbox
from kit.errors import Conflict, ValidationFailed
from kit.rules import Refused
from kit.testing import FixedClock, migrated, session
from runtime.demo import DemoFactory

SOURCE = "/missions/mirec/beneficiary"
COUNSELLOR = Actor("anne.counsellor", "mirec", ("counsellor",))


# -- rules ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("signed", "due"),
    [
        (date(2026, 1, 15), date(2026, 7, 15)),
        (date(2026, 8, 31), date(2027, 2, 28)),  # no 31 February: the month's last day
        (date(2027, 8, 31), date(2028, 2, 29)),  # a leap year
        (date(2026, 12, 1), date(2027, 6, 1)),
    ],
)
def test_the_six_month_check_falls_six_calendar_months_after_the_signature(signed, due):
    assert domain.six_month_check_due(signed) == due


def test_age_bands_turn_on_the_birthday():
    assert domain.age_band(date(2001, 6, 10), date(2026, 6, 9)) == "under_25"
    assert domain.age_band(date(2001, 6, 10), date(2026, 6, 10)) == "25_to_49"
    assert domain.age_band(date(1976, 6, 10), date(2026, 6, 10)) == "50_plus"


def test_path_rules():
    assert domain.move_kind("dropped_out") == "reentered" and domain.move_kind("active") == "moved"
    domain.check_stage_move("dropped_out", "formation", "formation")  # re-entering where one left is allowed
    with pytest.raises(domain.TransitionRefused, match="already at stage"):
        domain.check_stage_move("active", "formation", "formation")
    with pytest.raises(domain.TransitionRefused, match="closed"):
        domain.check_stage_move("exited", "formation", "placement")
    with pytest.raises(domain.TransitionRefused, match="unknown stage"):
        domain.check_stage_move("active", "accueil", "nowhere")
    with pytest.raises(Refused) as refused:
        domain.check_exit("exited")
    assert (refused.value.field, refused.value.message) == ("status", "already exited")
    assert domain.forget_reason("consent") == "consent_withdrawn"
    assert domain.forget_reason("legal_basis") == "legal_basis_ended"


# -- use cases --------------------------------------------------------------
@pytest.fixture
def store(tmp_path):
    with migrated("beneficiary", f"sqlite:///{tmp_path}/beneficiary.sqlite") as store:
        yield store


@pytest.fixture
def clock():
    return FixedClock()


def intake(**changes):
    return inputs.load(schemas.IntakeSchema(), DemoFactory(seed=11).beneficiary() | changes)


def registered(store, clock, **changes):
    with session(store) as s, s.begin():
        return to_outbox(s, app.register(s, COUNSELLOR, clock, SOURCE, intake(**changes)))


def test_intake_takes_its_dates_from_the_clock_and_returns_its_events_unpublished(store, clock):
    with session(store) as s, s.begin():
        done = app.register(s, COUNSELLOR, clock, SOURCE, intake(registered_on=None))
        assert done.value.registered_on == clock.today() and done.value.created_at == clock.now()
        assert [(e.type, e.audience, to) for e, to in done.events] == [
            (events.REGISTERED, "internal", None),
            (events.REGISTERED, "sector", None),
        ]
        audit = s.scalars(select(Audit)).one()
        assert (audit.action, audit.subject, audit.actor) == ("beneficiary.register", done.value.id, COUNSELLOR.sub)
    with session(store) as s:
        assert s.scalar(select(func.count()).select_from(StageTransition)) == 1
    with session(store) as s, s.begin(), pytest.raises(Conflict):
        app.register(s, COUNSELLOR, clock, SOURCE, intake(first_name="Autre"))


def test_a_person_dropped_out_re_enters_and_an_exited_file_is_closed(store, clock):
    person = registered(store, clock)
    with session(store) as s, s.begin():
        who = app.person(s, person.id)
        app.drop_out(s, COUNSELLOR, clock, SOURCE, who, {"reason": "health", "why": None})
        back = app.move_stage(s, COUNSELLOR, clock, SOURCE, who, {"to": "formation", "why": None})
        assert (back.value.stage, back.value.status) == ("formation", "active")
        changed = [e for e, _ in back.events if e.audience == "internal"]
        assert changed[0].type == events.STAGE_CHANGED and changed[0].data["kind"] == "reentered"
        app.exit_path(s, COUNSELLOR, clock, SOURCE, who, {"reason": "moved", "why": None})
        with pytest.raises(ValidationFailed) as refused:
            app.exit_path(s, COUNSELLOR, clock, SOURCE, who, {"reason": "moved", "why": None})
        assert refused.value.errors == {"status": ["already exited"]}
        with pytest.raises(ValidationFailed) as refused:
            app.agree_plan(s, COUNSELLOR, clock, SOURCE, who, {})
        closed = "the file is closed (exited): re-open it (a new episode) first"
        assert refused.value.errors == {"beneficiary": [closed]}
        kinds = s.scalars(select(StageTransition.kind).order_by(StageTransition.id)).all()
        assert kinds == ["entered", "dropped_out", "reentered", "exited"]


def test_the_six_month_check_counts_from_its_due_date_and_only_once(store, clock):
    signed = clock.today() - timedelta(days=200)
    person = registered(store, clock, registered_on=(signed - timedelta(days=30)).isoformat())
    contract = {"signed_on": signed, "employer_id": "e-1", "contract_type": "permanent", "hours_per_week": 38}
    with session(store) as s, s.begin():
        who = app.person(s, person.id)
        with pytest.raises(ValidationFailed) as refused:
            app.record_contract(
                s, COUNSELLOR, clock, SOURCE, who, contract | {"signed_on": who.registered_on - timedelta(days=1)}
            )
        assert refused.value.errors == {"signed_on": ["is before the intake"]}
        done = app.record_contract(s, COUNSELLOR, clock, SOURCE, who, contract | {"workplace_municipality": None})
        assert done.value.check_due == domain.six_month_check_due(signed)
        early = done.value.check_due - timedelta(days=1)
        with pytest.raises(ValidationFailed) as refused:
            app.record_six_month_check(
                s, COUNSELLOR, clock, SOURCE, who, {"checked_on": early, "still_employed": True, "source": "phone"}
            )
        assert refused.value.errors == {"checked_on": [f"the check is due from {done.value.check_due.isoformat()}"]}
        check = {"checked_on": done.value.check_due, "still_employed": False, "source": "phone"}
        checked = app.record_six_month_check(s, COUNSELLOR, clock, SOURCE, who, check)
        assert {e.type for e, _ in checked.events} == {events.NOT_EMPLOYED_6M}
        with pytest.raises(Conflict):
            app.record_six_month_check(s, COUNSELLOR, clock, SOURCE, who, check)


def test_withdrawing_consent_asks_the_agency_to_forget_what_it_was_sent(store, clock):
    consent = {
        "agency": "forem",
        "basis": "consent",
        "reference": "form 12",
        "agency_reference": "FO-778",
        "given_on": clock.today().isoformat(),
    }
    person = registered(store, clock, disclosures=[consent])
    with session(store) as s, s.begin():
        done = app.withdraw_disclosure(s, COUNSELLOR, clock, SOURCE, app.person(s, person.id), "forem")
    [(event, agency)] = done.events
    assert (event.type, event.audience, agency) == (events.FORGET_REQUESTED, "agency", "forem")
    assert event.data["reason"] == "consent_withdrawn" and event.data["agency_reference"] == "FO-778"


def test_erasure_keeps_counts_only_and_says_so_to_the_mission_and_intermire(store, clock):
    person = registered(store, clock)
    with session(store) as s, s.begin():
        done = app.erase(s, COUNSELLOR, clock, SOURCE, person.id)
        assert [(e.type, e.audience, e.subject) for e, _ in done.events] == [
            (events.ERASED, "internal", person.id),
            (events.FORGOTTEN, "sector", person.pseudonym),
        ]
        # InterMire is told the pseudonym under the key it knows the person by, and nothing else of them.
        assert done.events[1][0].data == {
            "pseudonym": person.pseudonym,
            "pseudonym_key": person.pseudonym_key,
            "erased_month": clock.today().strftime("%Y-%m"),
        }
    with session(store) as s:
        assert s.get(Beneficiary, person.id) is None
        residue = s.scalars(select(ErasureResidue)).one()
        assert residue.erased_month == clock.today().strftime("%Y-%m") and residue.gender == person.gender
        assert s.scalars(select(Audit.action).order_by(Audit.id)).all()[-1] == "beneficiary.erase"
