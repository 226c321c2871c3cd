"""Intake rules, on the service class with a real migrated SQLite database (no broker)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from beneficiary.service import BeneficiaryService
from sqlalchemy import select

from kit.actor import Actor
from kit.errors import Conflict, ValidationFailed
from kit.migrations import alembic_config, upgrade
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


def bis_of(person: dict) -> str:
    """The BIS number of someone born on ``person``'s birth date: the month raised by 20, the check digits
    computed as the national register's (with a 2 before the number for a birth from 2000)."""
    born = date.fromisoformat(person["birth_date"])
    first = f"{born:%y}{born.month + 20:02d}{born:%d}{person['niss'][6:9]}"
    return first + f"{97 - int(('2' if born.year >= 2000 else '') + first) % 97:02d}"


def test_the_kind_of_identity_number_is_recorded_and_answered_never_the_number(service):
    """A person without a national register entry (a newcomer, a refugee) is taken in on their BIS number."""
    national = DemoFactory(seed=11).beneficiary("50000")
    newcomer = DemoFactory(seed=12).beneficiary("50000")
    newcomer = dict(newcomer, birth_date="1988-04-17", niss=bis_of(dict(newcomer, birth_date="1988-04-17")))
    first = service.register(national)
    second = service.register(dict(newcomer, niss=newcomer["niss"][:2] + "." + newcomer["niss"][2:]))
    assert (first["niss_kind"], second["niss_kind"]) == ("national_register", "bis")
    found = service.get(second["id"])
    assert found["niss_kind"] == "bis" and newcomer["niss"] not in str(found)
    with pytest.raises(Conflict):  # the same BIS number, however written, is the same person
        service.register(newcomer)


@pytest.mark.parametrize("kind", ["national_register", "bis"])
def test_a_wrong_number_of_either_kind_is_refused_naming_both_kinds(service, kind):
    person = DemoFactory(seed=13).beneficiary()
    number = person["niss"] if kind == "national_register" else bis_of(person)
    wrong_check = number[:-2] + f"{(int(number[-2:]) + 1) % 97:02d}"
    with pytest.raises(ValidationFailed) as raised:
        service.register(dict(person, niss=wrong_check))
    [message] = raised.value.errors["niss"]
    assert "national register number or a BIS number" in message and wrong_check not in message
    assert service.count() == 0


def test_the_migration_gives_each_file_already_there_the_kind_of_its_number(tmp_path):
    url = f"sqlite:///{tmp_path}/old.sqlite"
    command.upgrade(alembic_config("beneficiary", url), "0008")
    engine = sa.create_engine(url)
    person = DemoFactory(seed=14).beneficiary("50000")
    numbers = {"p-national": person["niss"], "p-bis": bis_of(person)}
    with engine.begin() as conn:
        for pid, number in numbers.items():
            conn.execute(
                sa.text(
                    "INSERT INTO beneficiary (id, niss, pseudonym, pseudonym_key, first_name, last_name, birth_date,"
                    " gender, municipality, registered_on, created_at, stage, status)"
                    " VALUES (:id, :niss, :id, '', 'A', 'B', :born, 'F', '52011', '2026-01-05', :now, 'accueil',"
                    " 'active')"
                ),
                {"id": pid, "niss": number, "born": person["birth_date"], "now": datetime.now(UTC)},
            )
    upgrade("beneficiary", url)
    with engine.connect() as conn:
        kinds = dict(conn.execute(sa.text("SELECT id, niss_kind FROM beneficiary")).all())
    engine.dispose()
    assert kinds == {"p-national": "national_register", "p-bis": "bis"}


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
