"""The audit trail as the Mission's data-protection officer reviews it: by person, by user, by period, paged;
nobody else may read it. On the service class with a real migrated SQLite database (no broker)."""

from datetime import UTC, datetime, timedelta

import pytest
from beneficiary.service import BeneficiaryService

from kit.actor import Actor
from kit.errors import Forbidden, ValidationFailed
from kit.testing import FixedClock, migrated, worker
from runtime.demo import DemoFactory

ANNE = Actor("anne.counsellor", "mirec", ("counsellor",))
SAMI = Actor("sami.social", "mirec", ("social_worker",))
DPO = Actor("dora.dpo", "mirec", ("dpo",))


@pytest.fixture
def trail(tmp_path):
    """Two people taken in on 2 March; Anne reads the first's file on 2 March, Sami on 5 March."""
    clock = FixedClock()
    with migrated("beneficiary", f"sqlite:///{tmp_path}/beneficiary.sqlite") as store:
        anne = worker(BeneficiaryService, store, ANNE, clock=clock)
        first = anne.register(DemoFactory(seed=31).beneficiary("50000"))["id"]
        second = anne.register(DemoFactory(seed=32).beneficiary("50000"))["id"]
        anne.get(first, purpose="orientation")
        clock.at += timedelta(days=3)
        worker(BeneficiaryService, store, SAMI, clock=clock).get(first)
        yield store, clock, first, second


def test_the_dpo_lists_the_audit_by_person_user_and_period_latest_first(trail):
    store, clock, first, second = trail
    dpo = worker(BeneficiaryService, store, DPO, clock=clock)
    of_first = dpo.list_audit(subject=first)
    assert [(e["user"], e["action"], e["purpose"]) for e in of_first["items"]] == [
        ("sami.social", "beneficiary.read", "accompaniment"),
        ("anne.counsellor", "beneficiary.read", "orientation"),
        ("anne.counsellor", "beneficiary.register", "accompaniment"),
    ]
    assert of_first["total"] == 3 and of_first["items"][0]["role"] == "social_worker"
    by_anne = dpo.list_audit(user="anne.counsellor")
    assert by_anne["total"] == 3 and {e["subject"] for e in by_anne["items"]} == {first, second}
    day = FixedClock.at.date()
    on_the_2nd = dpo.list_audit(since=day.isoformat(), until=day.isoformat())
    assert on_the_2nd["total"] == 3 and "sami.social" not in str(on_the_2nd)
    later = dpo.list_audit(since=(day + timedelta(days=1)).isoformat())
    assert [e["user"] for e in later["items"]] == ["sami.social"]
    assert datetime.fromisoformat(later["items"][0]["at"]) == clock.at.astimezone(UTC)
    paged = dpo.list_audit(page=2, page_size=2)
    assert (paged["total"], paged["page"], len(paged["items"])) == (4, 2, 2)


def test_nobody_else_reads_the_audit_and_a_bad_question_is_refused_field_by_field(trail):
    store, clock, first, _ = trail
    for who in (ANNE, SAMI, Actor("marie.director", "mirec", ("director",))):
        with pytest.raises(Forbidden):
            worker(BeneficiaryService, store, who, clock=clock).list_audit(subject=first)
    dpo = worker(BeneficiaryService, store, DPO, clock=clock)
    with pytest.raises(ValidationFailed) as raised:
        dpo.list_audit(since="2026-03-05", until="2026-03-01", page_size=1000)
    assert set(raised.value.errors) >= {"page_size"}
    with pytest.raises(ValidationFailed) as raised:
        dpo.list_audit(since="2026-03-05", until="2026-03-01")
    assert set(raised.value.errors) == {"until"}
