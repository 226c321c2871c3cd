"""The short reliability run: every fault once, on a private broker node, each followed by the ledger's verdict.

One platform (MIREC and InterMire on a private RabbitMQ node of its own)
lives through the scenarios in order; after each one the platform is drained
and the checker reads the whole ledger so far: lost 0, duplicated effects 0,
unexpected 0, dead letters exactly the injected poison. The long run
(``python -m tests.reliability.long``) runs the same scenarios at scale with
a seeded random schedule.
"""

import random

import pytest

from tests.reliability.rig import Rig
from tests.reliability.scenarios import SCENARIOS, Scale

# Three minutes of faults once per `make test`, in its PostgreSQL pass (tests/conftest.py, POSTGRESQL_ONLY).
pytestmark = [pytest.mark.integration, pytest.mark.reliability]

SEED = 20261122


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    rig = Rig(tmp_path_factory.mktemp("reliability"))
    rig.rng = random.Random(SEED)
    try:
        yield rig.start()
    finally:
        rig.stop()


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_no_event_lost_duplicated_or_unexpected(rig, scenario):
    note = SCENARIOS[scenario](rig, rig.rng, Scale.short())
    verdict = rig.drain(timeout=150)
    print(f"{scenario}: {note}\n  {verdict.line()}")
    assert verdict.committed > 0, "the scenario committed no event: it proved nothing"
    assert verdict.passed, verdict.explain()
