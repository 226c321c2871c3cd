"""The retention schedule's person-level rules on the service class, a real migrated SQLite database and a
moved clock (no broker): which closed files are due, what the dry run answers and the run then removes, the
floors, who may; and the registry's ``retention:`` block checked at load."""

from datetime import timedelta

import pytest
import yaml
from beneficiary.models import Audit, Beneficiary
from beneficiary.service import BeneficiaryService
from sqlalchemy import func, select

from kit import registry
from kit.actor import Actor
from kit.config import ConfigError
from kit.errors import Forbidden, ValidationFailed
from kit.storage import outbox
from kit.testing import FixedClock, migrated, session, worker
from runtime.demo import DemoFactory

ANNE = Actor("anne.counsellor", "mirec", ("counsellor",))
DIRECTOR = Actor("passerelle-retention", "mirec", ("director",))
PERIODS = {
    "closed_files_years": 5,
    "audit_years": 2,
    "outbox_days": 30,
    "inbox_days": 30,
    "transfers_pending_days": 60,
    "referrals_declined_days": 180,
    "sector_facts_years": 10,
}
YEAR = timedelta(days=365)


@pytest.fixture
def mission(tmp_path):
    """On 2 March 2026: one person exits, one drops out, one drops out and comes back, one stays active.
    A year later a fifth exits. The relay never runs here: every outbox row stays unsent."""
    clock = FixedClock()
    with migrated("beneficiary", f"sqlite:///{tmp_path}/beneficiary.sqlite") as store:
        anne = worker(BeneficiaryService, store, ANNE, clock=clock)
        ids = [anne.register(DemoFactory(seed=70 + n).beneficiary("50000"))["id"] for n in range(5)]
        exited, dropped, back, active, later = ids
        anne.exit_path(exited, {"reason": "moved"})
        anne.drop_out(dropped, {"reason": "family"})
        anne.drop_out(back, {"reason": "family"})
        anne.move_stage(back, {"to": "orientation"})
        clock.at += YEAR
        anne.exit_path(later, {"reason": "moved"})
        yield store, clock, {"exited": exited, "dropped": dropped, "back": back, "active": active, "later": later}


def count(store, model_or_table) -> int:
    with session(store) as s:
        return s.scalar(select(func.count()).select_from(model_or_table))


def test_files_closed_past_their_period_go_and_the_dry_run_said_so(mission):
    store, clock, people = mission
    retention = worker(BeneficiaryService, store, DIRECTOR, clock=clock)
    # Four years after the first closings: nothing is due yet.
    clock.at += 3 * YEAR
    assert retention.apply_retention(PERIODS, True)["files"] == []
    # Five years and a day after them: the exit and the drop-out, not the one who came back, nor the later exit.
    clock.at += YEAR + timedelta(days=1)
    audit_rows, unsent = count(store, Audit), count(store, outbox)
    dry = retention.apply_retention(PERIODS, True)
    assert sorted(dry["files"]) == sorted([people["exited"], people["dropped"]])
    assert dry["dry_run"] is True and dry["periods"] == PERIODS
    # Every audit row is older than two years; no outbox row was ever sent, so none may go.
    assert (dry["audit"], dry["outbox"], dry["inbox"]) == (audit_rows, 0, 0)
    assert count(store, Audit) == audit_rows and count(store, Beneficiary) == 5

    done = retention.apply_retention(PERIODS, False)
    assert sorted(done["files"]) == sorted(dry["files"])
    assert (done["audit"], done["outbox"], done["inbox"], done["more"]) == (dry["audit"], 0, 0, False)
    with session(store) as s:
        left = set(s.scalars(select(Beneficiary.id)))
        trail = s.execute(select(Audit.action, Audit.actor, Audit.subject)).all()
    assert left == {people["back"], people["active"], people["later"]}
    # The old trail went; each erasure wrote its own row, by the system actor.
    assert sorted(trail) == sorted(("beneficiary.erase", DIRECTOR.sub, p) for p in dry["files"])
    # Unsent events are never purged: each erasure's two (the Mission's and the sector's forget) joined them.
    assert count(store, outbox) == unsent + 2 * len(dry["files"])

    again = retention.apply_retention(PERIODS, False)
    assert (again["files"], again["audit"], again["outbox"], again["inbox"]) == ([], 0, 0, 0)


def test_only_a_director_applies_it_and_periods_under_the_floors_are_refused(mission):
    store, clock, _ = mission
    with pytest.raises(Forbidden):
        worker(BeneficiaryService, store, ANNE, clock=clock).apply_retention(PERIODS, True)
    director = worker(BeneficiaryService, store, DIRECTOR, clock=clock)
    for periods, field in (
        ({"closed_files_years": 0}, "closed_files_years"),
        ({"inbox_days": 6}, "inbox_days"),
        ({"transfers_pending_days": 13}, "transfers_pending_days"),
        ({"outbox_days": "30"}, "outbox_days"),
        ({"forever": 1}, "forever"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            director.apply_retention(periods, False)
        assert list(refused.value.errors) == [field]
    with pytest.raises(ValidationFailed) as refused:
        director.apply_retention(PERIODS, "yes")
    assert list(refused.value.errors) == ["dry_run"]
    assert count(store, Beneficiary) == 5


def test_the_registry_gives_each_site_its_periods_and_refuses_a_bad_block(tmp_path):
    document = yaml.safe_load(registry.DEFAULT_PATH.read_text())
    document["platform"]["retention"] = {"audit_years": 3}
    document["sites"][1]["retention"] = {"inbox_days": 10, "transfers_pending_days": 30}
    path = tmp_path / "missions.yaml"
    path.write_text(yaml.safe_dump(document))
    loaded = registry.load(path, environ={})
    second, first = loaded.sites[1], loaded.sites[0]
    assert second.retention.as_dict() == dict(PERIODS, audit_years=3, inbox_days=10, transfers_pending_days=30)
    assert first.retention.as_dict() == dict(PERIODS, audit_years=3)
    document["sites"][1]["retention"] = {"outbox_days": 3}
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ConfigError, match=r"sites\.1\.retention\.outbox_days: must be between 7 and 3650"):
        registry.load(path, environ={})
    document["sites"][1]["retention"] = {"transfers_pending_days": 0}
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ConfigError, match=r"sites\.1\.retention\.transfers_pending_days: must be between 14 and 3650"):
        registry.load(path, environ={})
