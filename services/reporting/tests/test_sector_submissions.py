"""InterMire's view of which Missions have submitted a period: a Mission's submission and approval reach
InterMire as sector events (in the same transaction as the submission), carrying which figures changed by
name only; InterMire lists every Mission with its status and versions."""

from __future__ import annotations

import json
import uuid

import pytest
from reporting.sector import SectorReportingService
from reporting_events import contract, registered
from sqlalchemy import select
from test_reporting_service import Mission

from contracts.envelope import parse
from kit.actor import Actor
from kit.errors import ValidationFailed
from kit.storage import outbox
from kit.testing import migrate, worker


@pytest.fixture
def mission(tmp_path):
    m = Mission(tmp_path)
    yield m
    m.store.engine.dispose()


@pytest.fixture
def intermire(tmp_path):
    store = migrate("reporting", f"sqlite:///{tmp_path}/intermire-{uuid.uuid4().hex[:8]}.sqlite")
    analyst = Actor("ian.analyst", "intermire", ("intermire_analyst",))
    service = worker(
        SectorReportingService,
        store,
        analyst,
        site="intermire-t",
        kind="intermire",
        mission="intermire",
        handler="reporting.on_period_submission",
    )
    yield service
    store.engine.dispose()


def sector_events(mission) -> list[dict]:
    with mission.store.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.audience, outbox.c.payload).order_by(outbox.c.seq)).all()
    return [json.loads(p) for audience, p in rows if audience == "sector"]


def deliver(intermire, payload: dict, mission_code: str) -> None:
    """What the to-sector shovel carries, as InterMire's handler receives it."""
    data = dict(payload, source=f"/missions/{mission_code}/reporting")
    intermire.on_period_submission(parse(data))


def test_intermire_sees_each_missions_status_versions_and_which_figures_changed(mission, intermire):
    persons = [str(uuid.uuid4()) for _ in range(6)]
    mission.feed(*[registered(p, "2026-04-02") for p in persons], contract(persons[0], "2026-05-01"))
    mission.service.submit_period("2026-Q2")
    approver = mission.as_("director", "paul.director")
    approver.approve_submission("2026-Q2", 1)
    mission.feed(contract(persons[1], "2026-06-10"))
    mission.service.submit_period("2026-Q2", reason="late contract recorded")

    told = sector_events(mission)
    assert [e["type"] for e in told] == [
        "be.mire.reporting.period_submitted.v1",
        "be.mire.reporting.period_approved.v1",
        "be.mire.reporting.period_submitted.v1",
    ]
    correction = told[2]["data"]
    assert correction["version"] == 2 and correction["correction"] is True
    assert "first_contracts/total" in correction["changed"]
    # names only: no figure's value, no reason, no person leaves the Mission
    text = json.dumps(told)
    assert "late contract" not in text and not any(p in text for p in persons)
    assert all(isinstance(name, str) for name in correction["changed"])

    for event in [told[1], told[0], told[2]]:  # the approval may arrive before the submission
        deliver(intermire, event, "mirec")
    deliver(intermire, told[2], "mirec")  # a redelivery changes nothing
    view = intermire.sector_submissions("2026-Q2")
    by_mission = {m["mission"]: m for m in view["missions"]}
    mirec = by_mission["mirec"]
    assert mirec["status"] == "submitted" and mirec["approved_version"] == 1
    assert [(v["version"], v["status"]) for v in mirec["versions"]] == [(1, "approved"), (2, "submitted")]
    assert "first_contracts/total" in mirec["versions"][1]["changed"] and mirec["versions"][0]["changed"] == []

    approver.approve_submission("2026-Q2", 2)
    deliver(intermire, sector_events(mission)[3], "mirec")
    mirec = {m["mission"]: m for m in intermire.sector_submissions("2026-Q2")["missions"]}["mirec"]
    assert mirec["status"] == "approved" and mirec["approved_version"] == 2
    assert [v["status"] for v in mirec["versions"]] == ["superseded", "approved"]
    assert intermire.sector_submissions("2026-Q3")["missions"] == [] or all(
        m["status"] == "missing" for m in intermire.sector_submissions("2026-Q3")["missions"]
    )
    with pytest.raises(ValidationFailed):
        intermire.sector_submissions("2026-Q9")
