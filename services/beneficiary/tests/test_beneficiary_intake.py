"""Intake rules, on the service class with a real migrated SQLite database (no broker)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from beneficiary.service import BeneficiaryService
from sqlalchemy import select

from kit.actor import Actor
from kit.errors import Conflict, ValidationFailed
from kit.storage import outbox
from kit.testing import FixedClock, migrated, worker
from runtime.demo import DemoFactory


@pytest.fixture
def service(tmp_path):
    with migrated("beneficiary", f"sqlite:///{tmp_path}/beneficiary.sqlite") as store:
        yield worker(BeneficiaryService, store, Actor("anne.counsellor", "mirec", ("counsellor",)))


def test_intake_writes_the_file_and_its_events_together(service):
    person = DemoFactory(seed=5).beneficiary("50000")
    created = service.register(person)
    assert created["last_name"] == person["last_name"]
    with service.db.session() as session:
        events = session.execute(select(outbox.c.audience, outbox.c.routing_key, outbox.c.payload)).all()
    assert sorted(e.audience for e in events) == ["internal", "sector"]
    sector = next(e for e in events if e.audience == "sector")
    for secret in (person["niss"], person["last_name"], person["first_name"]):
        assert secret not in sector.payload


def test_second_intake_of_the_same_person_points_to_the_existing_file(service):
    person = DemoFactory(seed=5).beneficiary()
    first = service.register(person)
    with pytest.raises(Conflict) as raised:
        service.register(dict(person, first_name="Autre"))
    assert raised.value.existing == first["id"]


def test_bad_input_is_refused_field_by_field_without_echoing_the_number(service):
    person = DemoFactory(seed=6).beneficiary()
    wrong_check = person["niss"][:-1] + str((int(person["niss"][-1]) + 1) % 10)
    bad = dict(
        person, niss=wrong_check, municipality="99999", birth_date=(date.today() + timedelta(days=3)).isoformat()
    )
    with pytest.raises(ValidationFailed) as raised:
        service.register(bad)
    errors = raised.value.errors
    assert set(errors) == {"niss", "municipality"}  # dates are checked once fields are valid
    assert wrong_check not in str(errors)
    with pytest.raises(ValidationFailed) as raised:
        service.register(dict(person, birth_date=(date.today() + timedelta(days=3)).isoformat()))
    assert set(raised.value.errors) == {"birth_date"}
    assert service.count() == 0, "nothing partly written"


def test_assessment_and_plan_codes_must_exist_in_the_taxonomy(service):
    pid = service.register(DemoFactory(seed=8).beneficiary())["id"]
    with pytest.raises(ValidationFailed) as raised:
        service.assess(pid, {"competences": [{"code": "999999", "level": 2, "kind": "technical", "source": "work"}]})
    assert "competences" in raised.value.errors
    with pytest.raises(ValidationFailed) as raised:
        service.agree_plan(
            pid,
            {
                "target_occupations": ["Z9999"],
                "actions": [{"kind": "job_search", "description": "x"}],
                "contract_wishes": ["permanent"],
                "mobility_km": 10,
                "agreed_with_person": True,
            },
        )
    assert "target_occupations" in raised.value.errors
    assert (
        service.assess(pid, {"competences": [{"code": "900001", "level": 2, "kind": "technical", "source": "work"}]})[
            "competences"
        ]
        == 1
    )


def test_the_entrypoints_read_the_clock_the_worker_is_given(tmp_path):
    tomorrow = FixedClock(datetime.now(UTC) + timedelta(days=1))
    with migrated("beneficiary", f"sqlite:///{tmp_path}/beneficiary.sqlite") as store:
        service = worker(BeneficiaryService, store, Actor("anne.counsellor", "mirec", ("counsellor",)), clock=tomorrow)
        person = DemoFactory(seed=9).beneficiary("50000")
        person["disclosures"] = [
            {"agency": "forem", "basis": "consent", "reference": "accord écrit", "given_on": date.today().isoformat()}
        ]
        pid = service.register(person)["id"]
        withdrawn = service.withdraw_disclosure(pid, "forem")
    assert withdrawn == {"agency": "forem", "withdrawn_on": tomorrow.today().isoformat()}
