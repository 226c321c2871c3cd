"""Mission-mode reporting on the service class with a real migrated SQLite database (no broker)."""

from __future__ import annotations

import base64
import csv
import io
import random
import uuid

import pytest
from openpyxl import load_workbook
from reporting.models import Fact, MergedSubject
from reporting.service import ReportingService
from reporting_events import contract, corrected, employed_6m, path_fact, registered
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kit.actor import Actor
from kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kit.testing import migrate, worker
from kit.work import Deadline


class Mission:
    """One Mission's reporting service, fed events directly; ``as_(role)`` changes who calls."""

    def __init__(self, tmp_path):
        self.code = "m" + uuid.uuid4().hex[:8]  # the in-process fact cache is per site: one per test
        url = f"sqlite:///{tmp_path}/reporting-{self.code}.sqlite"
        self.store = migrate("reporting", url)
        self.service = self.as_("director", "dora.director")

    def as_(self, role, sub=None):
        actor = Actor(sub or f"{role}.one", self.code, (role,))
        return worker(
            ReportingService,
            self.store,
            actor,
            site=self.code,
            handler="reporting.on_beneficiary_fact",
            budget=Deadline(),  # no caller's deadline: the work is bounded only by the cap
        )

    def feed(self, *events):
        # One batch, as a burst of events reaches the fact log (an erasure among them included).
        self.service.on_beneficiary_fact(list(events))


@pytest.fixture
def mission(tmp_path):
    m = Mission(tmp_path)
    yield m
    m.store.engine.dispose()


def people(n, month, **kw):
    return [(f"p-{uuid.uuid4()}", month, kw) for _ in range(n)]


def test_headline_indicators_count_distinct_persons_by_their_dates(mission):
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    mission.feed(
        registered(a, "2026-01-10", groups=["neet_youth"], age_band="under_25"),
        registered(b, "2026-02-03", gender="M"),
        registered(c, "2025-12-20"),
        contract(a, "2026-02-01"),
        contract(a, "2026-03-01"),  # only the first counts
        path_fact("stage_changed", c, from_stage="accueil", to_stage="orientation", kind="move", on="2026-01-05"),
        employed_6m(a, "2026-02-01", "2026-08-03"),
        path_fact("dropped_out", b, stage="formation", reason="health", on="2026-03-02"),
    )
    q1 = mission.service.headline("2026-Q1")["indicators"]
    assert q1["people_accompanied"] == 3 and q1["entries"] == 2 and q1["first_contracts"] == 1
    assert q1["employed_after_6_months"] == 0 and q1["dropouts"] == 1
    assert mission.service.headline("2026-03")["indicators"]["first_contracts"] == 0
    assert mission.service.headline("2026")["indicators"]["employed_after_6_months"] == 1
    by_group = mission.service.indicator("first_contracts", "2026", "target_group")
    assert by_group["cells"] == {"neet_youth": 1} and by_group["total"] == 1
    by_age = mission.service.indicator("people_accompanied", "2026-Q1", "age_band")
    assert by_age["cells"] == {"under_25": 1, "25_to_49": 2}


def test_a_merged_provisional_file_counts_as_the_kept_files_person(mission):
    kept, provisional, other = (str(uuid.uuid4()) for _ in range(3))
    mission.feed(
        registered(kept, "2026-01-10"),
        registered(provisional, "2026-02-03"),
        registered(other, "2026-02-04"),
        contract(provisional, "2026-03-01"),
    )
    q1 = mission.service.headline("2026-Q1")["indicators"]
    assert q1["people_accompanied"] == 3 and q1["first_contracts"] == 1, "before the merge: two files, two people"
    mission.feed(path_fact("merged", provisional, into=kept))
    q1 = mission.service.headline("2026-Q1")["indicators"]
    assert q1["people_accompanied"] == 2 and q1["entries"] == 3, "one person, whose two intakes both happened"
    assert q1["first_contracts"] == 1
    # A late fact about the provisional reference (a replay) is the kept file's; the kept file's contract is
    # then a second one of the same person, not a first contract.
    mission.feed(contract(provisional, "2026-03-02"), contract(kept, "2026-03-03"))
    assert mission.service.headline("2026-Q1")["indicators"]["first_contracts"] == 1
    assert mission.service.headline("2026-Q1")["indicators"]["people_accompanied"] == 2
    with Session(mission.store.engine) as s:
        assert s.scalar(select(func.count()).select_from(Fact).where(Fact.subject == provisional)) == 0
        assert s.get(MergedSubject, provisional).into == kept


def test_a_correction_changes_the_persons_later_facts_and_never_the_earlier_ones(mission):
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    mission.feed(
        registered(a, "2026-01-10"),
        registered(b, "2026-01-12", gender="M"),
        contract(a, "2026-02-01"),
        # Two corrections on one day, received out of order: the version made last wins.
        corrected(a, "2026-03-05T15:00:00+00:00", 3, gender="X", municipality="57081"),
        corrected(a, "2026-03-05T09:00:00+00:00", 2, gender="X", municipality="92094"),
        path_fact("stage_changed", a, from_stage="accueil", to_stage="orientation", kind="move", on="2026-04-02"),
        path_fact("stage_changed", b, from_stage="accueil", to_stage="orientation", kind="move", on="2026-04-03"),
    )
    # The intake and February's contract keep the codes the person had then (published periods unchanged).
    assert mission.service.indicator("entries", "2026-01", "municipality")["cells"] == {"52011": 2}
    assert mission.service.indicator("first_contracts", "2026-02", "gender")["cells"] == {"F": 1}
    # April's facts take the corrected codes; b, never corrected, keeps the intake's.
    assert mission.service.indicator("people_accompanied", "2026-04", "municipality")["cells"] == {
        "57081": 1,
        "52011": 1,
    }
    assert mission.service.indicator("people_accompanied", "2026-04", "gender")["cells"] == {"X": 1, "M": 1}
    # No indicator counts a correction itself.
    assert mission.service.headline("2026-03")["indicators"]["people_accompanied"] == 0


def test_replaying_the_events_in_another_order_gives_the_same_figures(tmp_path):
    rng = random.Random(7)
    events = []
    for i in range(60):
        p = str(uuid.uuid4())
        month = f"2026-{rng.randint(1, 12):02d}"
        events.append(
            registered(
                p,
                month + "-02",
                gender=rng.choice("FMX"),
                groups=rng.sample(["neet_youth", "low_qualification", "single_parent"], 1),
            )
        )
        if i % 2:
            events.append(contract(p, month + "-20"))
    first, second = Mission(tmp_path), Mission(tmp_path)
    first.feed(*events)
    shuffled = events[:]
    rng.shuffle(shuffled)
    second.feed(*shuffled, *shuffled[:10])  # redelivered events change nothing
    for period in ("2026-03", "2026-Q2", "2026"):
        assert first.service.headline(period)["indicators"] == second.service.headline(period)["indicators"]
        for dimension in ("target_group", "gender", "age_band", "municipality"):
            assert first.service.indicator("people_accompanied", period, dimension) == second.service.indicator(
                "people_accompanied", period, dimension
            )
    assert first.service.headline("2026")["indicators"]["entries"] == 60


def test_a_submission_is_frozen_once_approved_and_a_correction_shows_its_difference(mission):
    persons = [str(uuid.uuid4()) for _ in range(6)]
    mission.feed(*[registered(p, "2026-04-02") for p in persons], contract(persons[0], "2026-05-01"))
    submitted = mission.service.submit_period("2026-Q2")
    assert submitted["version"] == 1 and submitted["status"] == "submitted"
    assert submitted["figures"]["entries"]["total"] == 6
    with pytest.raises(Conflict):
        mission.service.approve_submission("2026-Q2", 1)  # not by its own submitter
    approver = mission.as_("director", "paul.director")
    approved = approver.approve_submission("2026-Q2", 1)
    assert approved["status"] == "approved" and approved["approved_by"] == "paul.director"
    with pytest.raises(Conflict) as locked:
        mission.service.submit_period("2026-Q2")
    assert "locked" in locked.value.message and locked.value.existing == approved["id"]

    # A late fact: the frozen snapshot does not move; a correction is a new version with its difference.
    mission.feed(contract(persons[1], "2026-06-10"))
    assert mission.service.get_submission("2026-Q2")["figures"]["first_contracts"]["total"] == 1
    correction = mission.service.submit_period("2026-Q2", reason="late contract recorded")
    assert correction["version"] == 2
    assert {"figure": "first_contracts/total", "before": 1, "after": 2} in correction["diff"]
    approver.approve_submission("2026-Q2", 2)
    assert mission.service.get_submission("2026-Q2")["version"] == 2
    assert mission.service.get_submission("2026-Q2", 1)["status"] == "superseded"
    assert [s["version"] for s in mission.service.list_submissions()] == [1, 2]


def test_bad_requests_are_refused_field_by_field(mission):
    mission.feed(*[registered(str(uuid.uuid4()), "2026-01-05") for _ in range(3)])
    with pytest.raises(ValidationFailed) as raised:
        mission.service.indicator("no_such_thing", "2026")
    assert list(raised.value.errors) == ["indicator"]
    for bad in ("2026-13", "26", "2026-Q5", None):
        with pytest.raises(ValidationFailed) as raised:
            mission.service.indicator("entries", bad)
        assert list(raised.value.errors) == ["period"]
    with pytest.raises(ValidationFailed) as raised:
        mission.service.indicator("conventions_signed", "2026", "gender")
    assert list(raised.value.errors) == ["by"]
    with pytest.raises(ValidationFailed) as raised:
        mission.service.publication("entries", "2026")  # three people: below the threshold
    assert "threshold" in raised.value.errors["period"][0]
    with pytest.raises(ValidationFailed) as raised:
        mission.service.export("2026", "docx")
    assert list(raised.value.errors) == ["format"]
    with pytest.raises(NotFound):
        mission.service.get_submission("2026-Q1")
    with pytest.raises(Forbidden):
        mission.as_("counsellor").submit_period("2026-Q1")
    with pytest.raises(Forbidden):
        mission.as_("intermire_analyst").headline("2026")


def test_exports_hide_small_cells_and_carry_a_youth_guarantee_table(mission):
    rng = random.Random(3)
    events = []
    for i in range(80):
        p = str(uuid.uuid4())
        young = i % 3 == 0
        events.append(
            registered(
                p,
                f"2026-{rng.randint(1, 6):02d}-03",
                age_band="under_25" if young else "50_plus",
                gender="F" if i % 2 else "M",
                groups=["neet_youth"] if young else (["disability"] if i == 1 else []),
            )
        )
        if i % 4 == 0:
            events.append(contract(p, "2026-06-10"))
    mission.feed(*events)
    table = mission.service.publication("entries", "2026", "target_group")
    assert table["cells"]["disability"] is None  # one person: hidden
    assert table["total"] == 80
    hidden = [k for k, v in table["cells"].items() if v is None]
    assert len(hidden) >= 2 or table["total"] is None  # never one lone hidden cell beside its total

    csv_export = mission.service.export("2026", "csv")
    lines = list(csv.reader(io.StringIO(csv_export["content"])))
    assert lines[0] == ["scope", "indicator", "period", "breakdown", "category", "value", "protected"]
    assert [mission.code, "people_accompanied", "2026", "target_group", "disability", "c", "protected"] in lines
    assert any(r[:1] == ["youth_guarantee"] and r[2] == "first_contracts" for r in lines)

    xlsx = mission.service.export("2026", "xlsx")
    book = load_workbook(io.BytesIO(base64.b64decode(xlsx["content"])))
    assert book.sheetnames == ["Indicators", "Youth Guarantee", "ESF+", "Definitions"]
    youth = list(book["Youth Guarantee"].values)
    assert ("scope", "indicator", "period", "age_band", "value", "protected") == youth[0]
    assert (mission.code, "people_accompanied", "2026", "under_25", 27, None) in youth


def test_the_migration_codes_the_corrections_logged_before_it(tmp_path):
    import importlib

    import sqlalchemy as sa
    from alembic import command
    from reporting import catalogue as cat

    from kit.migrations import alembic_config, upgrade

    url = f"sqlite:///{tmp_path}/old.sqlite"
    command.upgrade(alembic_config("reporting", url), "0008")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO fact (event_id, type, subject, month, data) VALUES ('e1', :t, 'p1', '2026-03', :d)"),
            {"t": cat.CORRECTED, "d": '{"version": 4, "municipality": "92094", "fields": ["municipality"]}'},
        )
    upgrade("reporting", url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT kind, tag FROM fact")).one() == (cat.TYPE_CODE[cat.CORRECTED], 4)
    engine.dispose()
    revision = importlib.import_module("reporting.migrations.versions.0009_corrections_carry_codes")
    assert revision.KIND == cat.TYPE_CODE[cat.CORRECTED], "the stored code is the catalogue's"
