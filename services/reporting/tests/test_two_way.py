"""Tables of two breakdowns (rows × columns): protection that holds across both margins, quarter and exit reason
as breakdowns, and the attacker of ``test_suppression`` extended to a cross table read beside the two
one-breakdown tables that are its margins."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from reporting import catalogue as cat
from reporting import publication
from reporting import suppression as s
from reporting.engine import Facts, table
from reporting.periods import parse
from test_suppression import LINKS, attack, cube_from_micro, micro_data, seeded_micro

YEAR = parse("2026")


def publish_two_way(micro: np.ndarray):
    """The cross table ``[period][row + total][column + total]`` and the two one-breakdown publications it is
    read beside (its row margin, its column margin), each as an attacker sees it."""
    cube = cube_from_micro(micro)
    R, C = micro.shape[1], micro.shape[2]
    rows_hidden = s.protect_mission(cube[:, :, C], LINKS, additive=True)
    columns_hidden = s.protect_mission(cube[:, R, :], LINKS, additive=True)
    hidden = publication.protect_two_way(cube, rows_hidden, columns_hidden, LINKS, additive=True)
    pubs = [
        (cube, hidden, lambda idx: idx),
        (cube[:, :, C], rows_hidden, lambda idx: (idx[0], idx[1], C)),
        (cube[:, R, :], columns_hidden, lambda idx: (idx[0], R, idx[1])),
    ]
    return cube, hidden, rows_hidden, columns_hidden, pubs


@pytest.mark.slow  # forty attacks solved with HiGHS
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(micro_data)
def test_the_attacker_recovers_no_small_cell_of_a_cross_table_or_its_margins(micro):
    cube, hidden, rows_hidden, columns_hidden, pubs = publish_two_way(micro)
    assert_protected(micro, pubs)


@pytest.mark.slow
@pytest.mark.parametrize(
    "micro",
    [
        # Found by the test above: the two margins, published on their own, pin an inside cell to [0, 4].
        [[[6, 1], [3, 14]], [[17, 1], [5, 1]], [[0, 0], [2, 0]], [[1, 20], [22, 8]]],
        [[[0, 2], [0, 0]], [[0, 0], [6, 1]], [[4, 1], [3, 16]], [[23, 1], [0, 3]]],
    ],
)
def test_a_cross_table_its_margins_already_pin_tells_nothing_more(micro):
    micro = np.array(micro)
    cube, hidden, _, _, pubs = publish_two_way(micro)
    assert hidden[:, :-1, :-1].all()  # the whole inside is hidden: there is nothing it could show safely
    assert_protected(micro, pubs)


def assert_protected(micro: np.ndarray, pubs, found=None) -> None:
    """Every small cell the attacker can reach lies in a range of at least ``PROTECTION``, unless the two margins,
    published on their own without the cross table, already pin it exactly as far: then the cross table told
    nothing more (the margins' own cells are protected by their own publications)."""
    margins_only = None
    for cell, true, lo, hi in attack(micro, pubs) if found is None else found:
        assert lo <= true <= hi
        if hi - lo >= s.PROTECTION:
            continue
        if margins_only is None:
            margins_only = {r[0]: r[2:] for r in attack(micro, pubs[1:])}
        assert cell in margins_only and np.allclose(margins_only[cell], (lo, hi)), (
            f"cell {cell} = {true} pinned to [{lo}, {hi}] by the cross table in {micro.tolist()}"
        )


@pytest.mark.slow  # an attack on a seeded-scale cross table
def test_the_attacker_recovers_nothing_from_a_seeded_scale_cross_table():
    micro = seeded_micro(people=240, municipalities=30, missions=4)  # e.g. age band × municipality
    cube, hidden, _, _, pubs = publish_two_way(micro)
    found = attack(micro, pubs)
    assert len(found) > 50  # mostly small cells: the attack has work to do
    assert_protected(micro, pubs, found)


def test_the_margins_of_a_cross_table_are_published_as_the_one_breakdown_tables():
    micro = seeded_micro(people=240, municipalities=30, missions=4)
    cube, hidden, rows_hidden, columns_hidden, _ = publish_two_way(micro)
    R, C = micro.shape[1], micro.shape[2]
    assert (hidden[:, R, :] == columns_hidden).all()
    assert (hidden[:, :, C] == rows_hidden).all()
    assert hidden[:, :R, :C].any()  # the inside hides more than the margins
    shown = np.where(hidden, -1, cube)
    assert not ((shown > 0) & (shown < s.THRESHOLD)).any()


def facts(people=300, seed=7) -> Facts:
    """Exits and entries of 300 people in 2026 in four Missions, with reasons and quarters."""
    rng = np.random.default_rng(seed)
    exited, registered = cat.TYPE_CODE[cat.B + "exited.v1"], cat.TYPE_CODE[cat.B + "registered.v1"]
    kind = np.r_[np.full(people, registered), np.full(people, exited)]
    day = 20260000 + rng.integers(1, 13, 2 * people) * 100 + rng.integers(1, 28, 2 * people)
    reasons = np.r_[np.zeros(people), [cat.TAG_CODE[r] for r in rng.choice(cat.EXIT_REASONS, people)]]
    person = np.r_[np.arange(1, people + 1), np.arange(1, people + 1)] * 7919
    columns = {
        "kind": kind,
        "day": day,
        "person": person,
        "entity": np.zeros(2 * people, dtype=np.int64),
        "tag": reasons.astype(np.int64),
        "gender": np.tile(rng.integers(1, 3, people), 2),
        "age": np.tile(rng.integers(1, 4, people), 2),
        "groups": np.zeros(2 * people, dtype=np.int64),
        "municipality": np.tile(50000 + rng.integers(0, 20, people), 2),
        "mission": np.tile(rng.integers(0, 4, people), 2),
    }
    codes = ["mirec", "mirena", "mirelw", "mirehuy"]
    return Facts.from_columns(columns, missions=codes, basins=codes)


def test_exits_are_counted_by_reason_and_by_quarter():
    f = facts()
    exits = cat.BY_NAME["exits"]
    by_reason = table(f, exits, YEAR, None, cat.EXIT_REASON)
    assert by_reason.column_labels == [*cat.EXIT_REASONS, "unknown"]
    assert by_reason.total == 300 and by_reason.column_totals[-1] == 0
    assert by_reason.column_totals.sum() == 300
    by_quarter = table(f, exits, YEAR, cat.QUARTER, cat.EXIT_REASON)
    assert by_quarter.row_labels == ["Q1", "Q2", "Q3", "Q4"]
    assert (by_quarter.cells.sum(axis=0) == by_reason.column_totals).all()
    q1 = table(f, exits, parse("2026-Q1"), None, cat.QUARTER)
    assert q1.column_totals[0] == q1.total and q1.column_totals[1:].sum() == 0


@pytest.mark.parametrize("mode", ["mission", "sector"])
@pytest.mark.parametrize(("rows", "columns"), [("quarter", "municipality"), ("exit_reason", "gender")])
def test_a_published_cross_table_flags_its_hidden_cells_and_shows_no_count_from_1_to_4(mode, rows, columns):
    f = facts()
    exits = cat.BY_NAME["exits"]
    make = publication.mission_table if mode == "mission" else publication.sector_table
    t = make(f, exits, YEAR, columns, rows=rows)
    assert t["rows"] == rows and t["columns"] == columns
    blocks = [(t["lines"][r], t["protected"]["lines"][r]) for r in t["lines"]] + [
        (t["margin"], t["protected"]["margin"])
    ]
    hidden = 0
    for shown, why in blocks:
        for label, v in [*shown["cells"].items(), ("total", shown["total"])]:
            flag = why["total"] if label == "total" else why["cells"][label]
            assert (v is None) == (flag == s.PROTECTED)
            assert v is None or v == 0 or v >= s.THRESHOLD
            hidden += v is None
    assert hidden > 0 or columns != "municipality"  # twenty municipalities: small cells to hide
    one_way = make(f, exits, YEAR, columns)
    margin_of = one_way if mode == "mission" else one_way["sector"]
    assert t["margin"]["cells"] == margin_of["cells"]  # the margin is the one-breakdown table, as published


def test_two_breakdowns_are_refused_field_by_field():
    from kit.errors import ValidationFailed

    f = facts()
    people_ = cat.BY_NAME["people_accompanied"]
    with pytest.raises(ValidationFailed) as same:
        publication.mission_table(f, people_, YEAR, "gender", rows="gender")
    assert "rows" in same.value.errors
    with pytest.raises(ValidationFailed) as reason:
        publication.mission_table(f, people_, YEAR, "gender", rows="exit_reason")
    assert "rows" in reason.value.errors  # only exits have a reason
    with pytest.raises(ValidationFailed) as missions:
        publication.mission_table(f, people_, YEAR, "gender", rows="mission")
    assert "rows" in missions.value.errors


def test_a_cross_table_reuses_the_protection_of_its_one_breakdown_margins(monkeypatch):
    f = facts()
    exits = cat.BY_NAME["exits"]
    one_way = publication.sector_table(f, exits, YEAR, "quarter")
    calls = []
    protect_sector = s.protect_sector
    monkeypatch.setattr(s, "protect_sector", lambda *a, **k: calls.append(1) or protect_sector(*a, **k))
    cross = publication.sector_table(f, exits, YEAR, "quarter", rows="exit_reason")
    assert len(calls) == 1  # the exit reasons' table only: the quarters' was published just before
    assert cross["margin"]["cells"] == one_way["sector"]["cells"]
