"""InterMire's retention of its sector facts (``reporting.retention``), on the service class (real migrated
SQLite, no broker): the dry run counts, the run drops facts of the years past ``sector_facts_years`` and the
entries left without facts, a table of a dropped year is refused, and the setting is InterMire's only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from reporting.models import SectorEntry, SectorFact, SectorRetention
from reporting.sector import SectorReportingService
from reporting_events import registered, sector_fact
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kit.actor import Actor
from kit.config import ConfigError
from kit.errors import ValidationFailed
from kit.registry import load as load_registry
from kit.testing import FixedClock, migrate, worker
from kit.work import Deadline

ROOT = Path(__file__).resolve().parents[3]
PLATFORM = Actor("passerelle-retention", "intermire", ("director",))
ANALYST = Actor("ian.analyst", "intermire", ("intermire_analyst",))


@pytest.fixture
def intermire(tmp_path):
    code = "intermire-" + uuid.uuid4().hex[:8]  # the in-process caches are per site: one per test
    store = migrate("reporting", f"sqlite:///{tmp_path}/reporting-{code}.sqlite")
    clock = FixedClock(datetime(2026, 12, 7, 3, 0, tzinfo=UTC))

    def as_(actor):
        return worker(
            SectorReportingService,
            store,
            actor,
            site=code,
            kind="intermire",
            mission="intermire",
            clock=clock,
            handler="reporting.on_sector_fact",
            budget=Deadline(),
        )

    yield store, as_
    store.engine.dispose()


def count(store, model, *where) -> int:
    with Session(store.engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_facts_past_the_period_go_whole_years_at_a_time_and_their_year_is_refused(intermire):
    store, as_ = intermire
    feeder = as_(PLATFORM)
    old, recent = f"p{uuid.uuid4().hex}", f"p{uuid.uuid4().hex}"
    feeder.on_sector_beneficiary_registered(
        registered(old, "2015-11-03", audience="sector", source="/missions/mirec/beneficiary")
    )
    feeder.on_sector_beneficiary_registered(
        registered(recent, "2016-01-04", audience="sector", source="/missions/mirec/beneficiary")
    )
    feeder.on_sector_fact(
        [
            sector_fact("stage_changed", old, "mirec", "2015-12"),
            sector_fact("stage_changed", recent, "mirec", "2016-01"),  # the first month kept: ten years back
            sector_fact("stage_changed", recent, "mirec", "2026-11"),
        ]
        # Enough people in the first year kept for its table to be published.
        + [sector_fact("stage_changed", f"p{uuid.uuid4().hex}", "mirec", "2016-02") for _ in range(5)]
    )
    facts, entries = count(store, SectorFact), count(store, SectorEntry)
    assert entries == 2

    dry = feeder.apply_retention({"sector_facts_years": 10}, True)
    assert dry["facts_before"] == "2016-01" and dry["periods"]["sector_facts_years"] == 10
    assert (dry["sector_facts"], dry["sector_entries"]) == (1, 1)
    assert (count(store, SectorFact), count(store, SectorEntry)) == (facts, entries), "a dry run removes nothing"
    assert count(store, SectorRetention) == 0

    done = feeder.apply_retention({"sector_facts_years": 10}, False)
    assert (done["sector_facts"], done["sector_entries"], done["more"]) == (1, 1, False)
    assert count(store, SectorFact, SectorFact.pseudonym == old) == 0
    assert count(store, SectorFact) == facts - 1 and count(store, SectorFact, SectorFact.pseudonym == recent) == 2
    assert count(store, SectorEntry, SectorEntry.pseudonym == recent) == 1
    analyst = as_(ANALYST)
    with pytest.raises(ValidationFailed) as refused:
        analyst.sector_table("people_accompanied", "2015-Q4")
    assert list(refused.value.errors) == ["period"]
    with pytest.raises(ValidationFailed):
        analyst.sector_export("2015", "csv")
    assert analyst.sector_table("people_accompanied", "2016")["sector"]["total"] == 6

    again = feeder.apply_retention({"sector_facts_years": 10}, False)
    assert (again["sector_facts"], again["sector_entries"]) == (0, 0)
    with pytest.raises(ValidationFailed) as too_short:
        feeder.apply_retention({"sector_facts_years": 0}, True)
    assert list(too_short.value.errors) == ["sector_facts_years"]


def test_sector_facts_years_is_checked_at_load_and_is_intermires_only(tmp_path):
    text = (ROOT / "config" / "missions.yaml").read_text()
    data = yaml.safe_load(text)
    assert load_registry(ROOT / "config" / "missions.yaml").intermire.retention.sector_facts_years == 10
    for site, value, said in (("mirec", 5, "InterMire site only"), ("intermire", 0, "between 1 and 100")):
        changed = yaml.safe_load(text)
        for s in changed["sites"]:
            if s["code"] == site:
                s["retention"] = {"sector_facts_years": value}
        path = tmp_path / f"{site}.yaml"
        path.write_text(yaml.safe_dump(changed))
        with pytest.raises(ConfigError) as refused:
            load_registry(path)
        assert "sector_facts_years" in str(refused.value) and said in str(refused.value)
    assert data["sites"][-1]["code"] == "intermire"
