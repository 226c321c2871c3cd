"""The director's maintenance RPCs, which hand the database to a kit module opening its own transaction (no
session around them: ``kit.entrypoint``'s ``session=False``). On the service class with a real migrated SQLite
database (no broker): SQLite's single writer would wait for ever on a transaction opened around another."""

import pytest
from beneficiary.service import BeneficiaryService

from kit.actor import Actor
from kit.errors import Forbidden, ValidationFailed
from kit.testing import FixedClock, migrated, worker
from runtime.demo import DemoFactory

ANNE = Actor("anne.counsellor", "mirec", ("counsellor",))
DIRECTOR = Actor("dirk.director", "mirec", ("director",))


@pytest.fixture
def store(tmp_path):
    with migrated("beneficiary", f"sqlite:///{tmp_path}/beneficiary.sqlite") as store:
        worker(BeneficiaryService, store, ANNE, clock=FixedClock()).register(DemoFactory(seed=41).beneficiary("50000"))
        yield store


def test_the_director_replays_an_agency_events_and_nobody_else_may(store):
    director = worker(BeneficiaryService, store, DIRECTOR, clock=FixedClock())
    assert director.replay_agency_events("forem", "2026-03-01") == {
        "agency": "forem",
        "since": "2026-03-01",
        "replayed": 0,
    }
    with pytest.raises(ValidationFailed) as refused:
        director.replay_agency_events("nobody", "March")
    assert set(refused.value.errors) == {"agency", "since"}
    with pytest.raises(Forbidden):
        worker(BeneficiaryService, store, ANNE).replay_agency_events("forem", "2026-03-01")


def test_a_rekey_batch_runs_in_its_own_transaction_and_its_size_is_bounded(store):
    director = worker(BeneficiaryService, store, DIRECTOR, clock=FixedClock())
    done = director.rekey_pseudonyms(limit=0)  # at least one person a batch
    assert (done["rekeyed"], done["remaining"]) == (0, 0)  # everyone is already under the current key
    with pytest.raises(Forbidden):
        worker(BeneficiaryService, store, ANNE).rekey_pseudonyms()
