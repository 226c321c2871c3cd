"""Small-cell protection: unit rules, and an attacker that tries to recover every hidden cell.

The attacker knows everything published: the sector table (Missions × categories with row and column
totals), every Mission's own publication, and the adjacent periods (the year's four quarters and the
year). It writes each published figure as a linear equation over the true micro-data counts and asks a
linear programme (scipy's HiGHS) for the least and greatest value of each hidden small cell. It is written
independently of ``reporting.suppression``'s own audit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reporting import suppression as s
from reporting.periods import parse
from reporting.publication import linked
from scipy import sparse
from scipy.optimize import linprog

PERIODS = linked(parse("2026"))  # four quarters, then the year
LINKS = s.time_links(PERIODS)


def cube_from_micro(micro: np.ndarray) -> np.ndarray:
    """micro[quarter][mission][category] -> cube[period][mission + total][category + total]."""
    Q, R, C = micro.shape
    cube = np.zeros((Q + 1, R + 1, C + 1), dtype=np.int64)
    cube[:Q, :R, :C] = micro
    cube[Q] = cube[:Q].sum(0)
    cube[:, :, C] = cube[:, :, :C].sum(2)
    cube[:, R, :] = cube[:, :R, :].sum(1)
    return cube


def weights(shape_micro, p, r, c) -> np.ndarray:
    """A published cell as a linear function of the micro-data counts: the micro cells it adds up."""
    Q, R, C = shape_micro
    qs = range(Q) if p == Q else [p]
    rs = range(R) if r == R else [r]
    cs = range(C) if c == C else [c]
    return np.ravel_multi_index(np.ix_(qs, rs, cs), shape_micro).reshape(-1)


def attack(micro: np.ndarray, publications: list[tuple[np.ndarray, np.ndarray, callable]]) -> list[tuple]:
    """(cell, true value, least, greatest) for every small cell hidden in every publication that shows it."""
    known, shown_anywhere = {}, set()
    for values, hidden, place in publications:
        for idx in np.ndindex(values.shape):
            cell = place(idx)
            if not hidden[idx]:
                known[cell] = int(values[idx])
                shown_anywhere.add(cell)
    columns = [weights(micro.shape, *cell) for cell in known]
    a_eq = sparse.csr_matrix(
        (
            np.ones(sum(len(w) for w in columns)),
            (np.repeat(np.arange(len(columns)), [len(w) for w in columns]), np.concatenate(columns)),
        ),
        shape=(len(columns), micro.size),
    )
    b_eq = np.array(list(known.values()), dtype=float)
    cube = cube_from_micro(micro)
    found = []
    for idx in np.ndindex(cube.shape):
        v = int(cube[idx])
        if idx in shown_anywhere or not 0 < v < s.THRESHOLD:
            continue
        w = np.zeros(micro.size)
        w[weights(micro.shape, *idx)] = 1
        lo = linprog(w, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-w, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert lo.status == 0 and hi.status in (0, 3)
        found.append((idx, v, lo.fun, float("inf") if hi.status == 3 else -hi.fun))
    return found


def publish_all(micro: np.ndarray):
    cube = cube_from_micro(micro)
    R = micro.shape[1]
    sector_hidden = s.protect_sector(cube, LINKS, additive=True)
    pubs = [(cube, sector_hidden, lambda idx: idx)]
    for m in range(R):
        own = cube[:, m, :]
        own_hidden = s.protect_mission(own, LINKS, additive=True)
        pubs.append((own, own_hidden, lambda idx, m=m: (idx[0], m, idx[1])))
    return cube, pubs


micro_data = st.tuples(st.integers(2, 4), st.integers(2, 4), st.integers(0, 2**32 - 1)).map(
    lambda t: np.random.default_rng(t[2]).poisson(
        np.random.default_rng(t[2] + 1).choice([0.5, 2, 6, 20], size=(4, t[0], t[1]))
    )
)


@pytest.mark.slow  # forty attacks solved with HiGHS
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(micro_data)
def test_the_attacker_recovers_no_hidden_small_cell(micro):
    cube, pubs = publish_all(micro)
    for cell, true, lo, hi in attack(micro, pubs):
        assert lo <= true <= hi
        assert hi - lo >= s.PROTECTION, f"cell {cell} = {true} pinned to [{lo}, {hi}]"


def seeded_micro(people=240, municipalities=50, missions=11, seed=2015) -> np.ndarray:
    """Quarter × Mission × municipality counts shaped like the seeded platform: each Mission's people in
    the municipalities of its own part of Wallonia (neighbours share a few), nearly every cell 0 to 4."""
    rng = np.random.default_rng(seed)
    mission = rng.integers(0, missions, people)
    spread = 2 * municipalities // missions
    muni = (mission * municipalities // missions + rng.integers(0, spread, people)) % municipalities
    micro = np.zeros((4, missions, municipalities), dtype=np.int64)
    np.add.at(micro, (rng.integers(0, 4, people), mission, muni), 1)
    return micro


@pytest.mark.slow  # an attack on a seeded-scale table
def test_the_attacker_recovers_no_hidden_small_cell_of_a_municipality_table():
    micro = seeded_micro()
    cube, pubs = publish_all(micro)
    found = attack(micro, pubs)
    assert len(found) > 100  # the table is mostly small cells: the attack has work to do
    for cell, true, lo, hi in found:
        assert lo <= true <= hi
        assert hi - lo >= s.PROTECTION, f"cell {cell} = {true} pinned to [{lo}, {hi}]"


def test_protection_is_the_same_built_from_arrays_or_from_equations():
    micro = seeded_micro(people=120, municipalities=12, missions=4, seed=7)
    cube = cube_from_micro(micro)
    P, R, C = cube.shape
    from_arrays = s.protect(cube.reshape(-1), s.cube_links(P, R, C, LINKS))
    from_equations = s.protect(cube.reshape(-1), s.cube_equations(P, R, C, LINKS))
    assert from_arrays.any() and (from_arrays == from_equations).all()


def test_large_models_solved_by_interior_point_hide_the_same_cells(monkeypatch):
    micro = seeded_micro(people=160, municipalities=20, missions=5, seed=11)
    cube = cube_from_micro(micro)
    simplex = s.protect_sector(cube, LINKS, additive=True)
    monkeypatch.setattr(s, "LARGE_MODEL", 0)
    interior = s.protect_sector(cube, LINKS, additive=True)
    assert simplex.any() and (interior == simplex).all()


def test_a_lone_small_cell_takes_a_partner_in_its_row_and_column():
    values = np.array([[1, 20, 30, 51], [12, 25, 8, 45], [13, 45, 38, 96]]).reshape(-1)
    eqs = s.cube_equations(1, 3, 4)
    hidden = s.protect(values, eqs).reshape(3, 4)
    assert hidden[0, 0]
    for eq in eqs:
        assert sum(hidden.reshape(-1)[c] for c in eq.cells) != 1
    lo, hi = s.interval(values, hidden.reshape(-1), eqs, 0)
    assert hi - lo >= s.PROTECTION


def test_nothing_small_nothing_hidden_and_zeros_are_not_small():
    values = np.array([[0, 20, 20], [10, 5, 15], [10, 25, 35]]).reshape(-1)
    assert not s.protect(values, s.cube_equations(1, 3, 3)).any()


def test_distinct_persons_are_audited_with_inequalities():
    # Two Missions each with 3 of the same person's group: total 4 (people counted once), not 6.
    values = np.array([[3, 30, 33], [3, 40, 43], [4, 70, 74]]).reshape(-1)
    eqs = s.cube_equations(1, 3, 3)
    hidden = s.protect(values, eqs, additive=False)
    assert hidden[0] and hidden[3]  # both small cells
    lo, hi = s.interval(values, hidden, eqs, 0, additive=False)
    assert lo <= 3 <= hi and hi - lo >= s.PROTECTION


def test_time_links_tie_the_year_to_its_quarters():
    assert LINKS == [(4, (0, 1, 2, 3))]
    months = linked(parse("2026-Q3"))
    assert [p.label for p in months] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2026"]
