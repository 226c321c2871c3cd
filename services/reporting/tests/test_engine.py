"""The aggregation engine and the catalogue, on coded facts made here."""

from __future__ import annotations

import numpy as np
import pytest
from reporting import catalogue as cat
from reporting.engine import COLUMNS, Facts, breakdown, every_figure, join_person_dimensions, table
from reporting.ingest import codes, day_of, key64
from reporting.periods import linked, parse

from kit.errors import ValidationFailed


def synthetic_facts(n=4000, seed=5) -> Facts:
    rng = np.random.default_rng(seed)
    person = rng.integers(1, 400, n)
    kinds = [cat.TYPE_CODE[t] for t in cat.PATH_FACTS] + [cat.TYPE_CODE[cat.C + "signed.v1"]]
    columns = {
        "kind": rng.choice(kinds, n),
        "day": 20250000 + rng.integers(1, 13, n) * 100 + rng.integers(1, 28, n),
        "person": person,
        "entity": rng.integers(1, 50, n),
        "tag": np.zeros(n, int),
        "gender": 1 + person % 3,
        "age": 1 + person % 2,
        "groups": person % 8,
        "municipality": 52000 + person % 4,
        "mission": person % 3,
    }
    return Facts.from_columns(columns, missions=("mirec", "mirena", "mirelw"), basins=("Charleroi", "Namur", "Liège"))


def test_every_figure_at_once_equals_each_figure_alone():
    facts = synthetic_facts()
    periods = linked(parse("2025")) + parse("2025").months()
    inds = cat.CATALOGUE.for_mode("sector")
    everything = every_figure(facts, inds, periods)
    for ind in inds:
        for p in periods:
            for by in (None, *ind.dimensions):
                assert everything[(ind.name, p.label, by)] == breakdown(facts, ind, p, by), (ind.name, p.label, by)


def test_a_person_in_two_missions_counts_once_in_the_sector_total():
    person = key64("same-pseudonym")
    columns = {
        c: np.array(v)
        for c, v in {
            "kind": [1, 1],
            "day": [20250105, 20250210],
            "person": [person, person],
            "entity": [1, 2],
            "tag": [0, 0],
            "gender": [1, 1],
            "age": [1, 1],
            "groups": [0b10001, 0b10001],
            "municipality": [52011, 52011],
            "mission": [0, 1],
        }.items()
    }
    facts = Facts.from_columns(columns, missions=("mirec", "mirena"), basins=("a", "b"))
    t = table(facts, cat.BY_NAME["people_accompanied"], parse("2025"), "mission", "target_group")
    assert list(t.row_totals) == [1, 1] and t.total == 1
    assert t.column_totals[0] == 1 and t.column_totals[4] == 1  # one person in two groups: once per group
    assert t.cells[0, 0] == 1 and t.cells[1, 4] == 1


def test_a_person_who_comes_back_is_one_person_and_two_episodes():
    """Intake, then a re-opening of the same person in the same year: one person accompanied, two entries
    (episodes started), one return; the re-opening is dated by its start."""
    person = key64("b-1")
    back = codes(
        cat.B + "reopened.v1", {"started_on": "2025-09-15", "episode": 2}, "2025-12-01T10:00:00Z", "b-1", sector=False
    )
    assert back["day"] == 20250915 and back["person"] == person
    columns = {
        c: np.array(v)
        for c, v in {
            "kind": [cat.TYPE_CODE[cat.B + "registered.v1"], cat.TYPE_CODE[cat.B + "exited.v1"], back["kind"]],
            "day": [20250105, 20250601, back["day"]],
            "person": [person] * 3,
            "entity": [0, 0, 0],
            "tag": [0, 0, 0],
            "gender": [1, 1, 1],
            "age": [1, 1, 1],
            "groups": [1, 1, 1],
            "municipality": [52011] * 3,
            "mission": [0, 0, 0],
        }.items()
    }
    facts = Facts.from_columns(columns, missions=("mirec",), basins=("a",))
    year = parse("2025")
    totals = {
        name: breakdown(facts, cat.BY_NAME[name], year, None)["total"]
        for name in ("people_accompanied", "entries", "returns")
    }
    assert totals == {"people_accompanied": 1, "entries": 2, "returns": 1}
    assert breakdown(facts, cat.BY_NAME["entries"], parse("2025-Q3"), None)["total"] == 1
    assert cat.BY_NAME["people_accompanied"].counts == cat.PERSONS and cat.BY_NAME["entries"].counts == cat.ACTS
    assert "Episodes" in cat.BY_NAME["entries"].description and "once" in cat.BY_NAME["people_accompanied"].description


def test_catalogue_describes_every_indicator_with_its_dating_rule():
    described = cat.CATALOGUE.describe("mission")
    assert described["version"] == cat.VERSION
    names = [i["name"] for i in described["indicators"]]
    assert names[:3] == ["people_accompanied", "first_contracts", "employed_after_6_months"]
    first = described["indicators"][1]
    assert first["counts"] == "persons" and first["first_only"] is True
    assert first["dated_by"] == {cat.B + "contract_signed.v1": ["signed_on", "month"]}
    assert "proposals" not in [i["name"] for i in cat.CATALOGUE.describe("sector")["indicators"]]


def test_a_fact_is_dated_by_the_catalogue_rule_and_coded_without_names():
    assert (
        day_of(
            cat.B + "employment_confirmed_6m.v1",
            {"signed_on": "2025-01-02", "checked_on": "2025-07-09"},
            "2025-07-10T00:00:00Z",
        )
        == 20250709
    )
    assert day_of(cat.B + "registered.v1", {"registered_month": "2025-03"}, "2025-04-01T00:00:00Z") == 20250301
    coded = codes(
        cat.B + "registered.v1",
        {
            "pseudonym": "ab" * 16,
            "gender": "F",
            "age_band": "under_25",
            "target_groups": ["neet_youth", "disability"],
            "municipality": "52011",
            "registered_month": "2025-03",
        },
        "2025-04-01T00:00:00Z",
        None,
        sector=True,
    )
    assert coded["person"] == key64("ab" * 16) and coded["groups"] == (1 << 4) | (1 << 2)
    assert coded["municipality"] == 52011 and coded["gender"] == 1 and coded["age"] == 1


@pytest.mark.parametrize(
    "label, first, last",
    [
        ("2025-02", 2025 * 12 + 1, 2025 * 12 + 1),
        ("2025-Q3", 2025 * 12 + 6, 2025 * 12 + 8),
        ("2025", 2025 * 12, 2025 * 12 + 11),
    ],
)
def test_periods(label, first, last):
    p = parse(label)
    assert (p.first, p.last, p.label) == (first, last, label)


def test_a_bad_period_names_its_field():
    with pytest.raises(ValidationFailed) as raised:
        parse("Q1-2025", field="since")
    assert list(raised.value.errors) == ["since"]


def test_each_person_fact_takes_the_dimensions_of_the_latest_intake_or_correction_on_or_before_its_day():
    R, C, S = cat.TYPE_CODE[cat.B + "registered.v1"], cat.TYPE_CODE[cat.CORRECTED], cat.TYPE_CODE[cat.B + "exited.v1"]
    # (kind, day, person, tag, municipality): person 1 corrected twice on one day (rows out of order), person 2 never.
    rows = [
        (S, 20260101, 1, 0, 0),  # dated before the intake: the intake's
        (R, 20260110, 1, 0, 111),
        (S, 20260120, 1, 0, 0),
        (C, 20260301, 1, 3, 333),
        (C, 20260301, 1, 2, 222),
        (S, 20260301, 1, 0, 0),
        (S, 20260401, 1, 0, 0),
        (R, 20260105, 2, 0, 555),
        (S, 20260401, 2, 0, 0),
        (S, 20260401, 3, 0, 777),  # no intake known: its own
    ]
    columns = {c: np.zeros(len(rows), dtype=np.int64) for c in COLUMNS}
    for c, values in zip(("kind", "day", "person", "tag", "municipality"), zip(*rows, strict=True), strict=True):
        columns[c] = np.array(values, dtype=np.int64)
    join_person_dimensions(columns)
    assert columns["municipality"].tolist() == [111, 111, 111, 333, 333, 333, 333, 555, 555, 777]
