"""Small-cell protection: primary suppression (< 5 people) and complementary suppression.

Pure functions over linked tables; no database, no nameko.

A publication is a set of cells tied by equations ``total = sum(parts)``:
row and column margins, and a period's value against the periods it is made
of (a year = its quarters, a quarter = its months). For distinct persons the
relation is only ``total <= sum(parts)`` (a person can be in two Missions,
two target groups, two months), so ``additive=False`` gives the auditor the
weaker, truthful, constraints.

1. Primary: every cell with 0 < value < ``threshold`` is hidden.
2. Complementary (greedy): an equation with exactly one hidden cell gives it
   away by subtraction, so another cell of that equation is hidden: a part
   before a total, the smallest value at least ``protection`` first (a
   partner that small cannot hide much, a bigger one costs more information).
3. Audit (exact): for each primary cell, a linear programme finds the least
   and the greatest value consistent with everything published (scipy's
   HiGHS); when the interval is narrower than ``protection``, one more cell of
   its equations is hidden and the audit starts again.

``known`` cells are published elsewhere (a Mission's own publication) and
can never hide anything; ``forced`` cells are hidden elsewhere and must stay
hidden here, or this publication would reveal them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

THRESHOLD = 5
PROTECTION = 5
MAX_AUDIT_ROUNDS = 200


@dataclass(frozen=True)
class Equation:
    total: int
    parts: tuple[int, ...]

    @property
    def cells(self) -> tuple[int, ...]:
        return (self.total, *self.parts)


def cube_equations(periods: int, rows: int, columns: int, time_links=(), row_margin: bool = True) -> list[Equation]:
    """Equations of a cube ``[period][row][column]`` flattened in C order.

    The last column holds row totals; with ``row_margin`` the last row holds column totals.
    ``time_links`` are ``(period, parts)``: that period's every cell is the sum of the parts' same cell.
    """
    R, C = rows, columns  # including the margins

    def at(p, r, c):
        return (p * R + r) * C + c

    eqs = []
    for p in range(periods):
        for r in range(R):
            eqs.append(Equation(at(p, r, C - 1), tuple(at(p, r, c) for c in range(C - 1))))
        if row_margin:
            for c in range(C):
                eqs.append(Equation(at(p, R - 1, c), tuple(at(p, r, c) for r in range(R - 1))))
    for total, parts in time_links:
        for r in range(R):
            for c in range(C):
                eqs.append(Equation(at(total, r, c), tuple(at(p, r, c) for p in parts)))
    return eqs


def primary(values: np.ndarray, threshold: int = THRESHOLD) -> np.ndarray:
    return (values > 0) & (values < threshold)


def _index(equations: list[Equation], n: int) -> list[list[int]]:
    of_cell = [[] for _ in range(n)]
    for k, eq in enumerate(equations):
        for cell in eq.cells:
            of_cell[cell].append(k)
    return of_cell


def _complement(eq: Equation, values, hidden, known, protection, exclude=()) -> int | None:
    best, best_key = None, None
    for cell in eq.cells:
        if hidden[cell] or known[cell] or cell in exclude:
            continue
        v = int(values[cell])
        key = (cell == eq.total, v == 0, v < protection, v if v >= protection else -v)
        if best_key is None or key < best_key:
            best, best_key = cell, key
    return best


def _greedy(values, hidden, known, equations, protection) -> None:
    changed = True
    while changed:
        changed = False
        for eq in equations:
            inside = [c for c in eq.cells if hidden[c]]
            if len(inside) == 1:
                partner = _complement(eq, values, hidden, known, protection)
                if partner is not None:
                    hidden[partner] = True
                    changed = True


def interval(values, hidden, equations, cell: int, additive: bool = True) -> tuple[float, float]:
    """The least and greatest value of ``cell`` consistent with the published cells (linear relaxation)."""
    variables = np.flatnonzero(hidden)
    position = {c: i for i, c in enumerate(variables)}
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for eq in equations:
        if not any(hidden[c] for c in eq.cells):
            continue
        # sum(parts) - total (= or >=) 0, with published cells moved to the right-hand side
        row = np.zeros(len(variables))
        constant = 0.0
        for c, sign in [(p, 1.0) for p in eq.parts] + [(eq.total, -1.0)]:
            if hidden[c]:
                row[position[c]] += sign
            else:
                constant += sign * float(values[c])
        if additive:
            a_eq.append(row)
            b_eq.append(-constant)
        else:
            a_ub.append(-row)  # sum(parts) >= total
            b_ub.append(constant)
            for p in eq.parts:  # each part <= total
                if hidden[p] or hidden[eq.total]:
                    r = np.zeros(len(variables))
                    rhs = 0.0
                    if hidden[p]:
                        r[position[p]] += 1
                    else:
                        rhs -= float(values[p])
                    if hidden[eq.total]:
                        r[position[eq.total]] -= 1
                    else:
                        rhs += float(values[eq.total])
                    a_ub.append(r)
                    b_ub.append(rhs)
    bounds = [(0, None)] * len(variables)
    objective = np.zeros(len(variables))
    objective[position[cell]] = 1.0
    out = []
    for sign in (1.0, -1.0):
        res = linprog(
            sign * objective,
            A_eq=np.array(a_eq) if a_eq else None,
            b_eq=b_eq or None,
            A_ub=np.array(a_ub) if a_ub else None,
            b_ub=b_ub or None,
            bounds=bounds,
            method="highs",
        )
        if res.status == 3:  # unbounded
            out.append(float("-inf") if sign > 0 else float("inf"))
        elif res.status != 0:
            raise RuntimeError(f"interval audit failed: {res.message}")
        else:
            out.append(sign * res.fun)
    return out[0], out[1]


def protect(
    values,
    equations: list[Equation],
    *,
    threshold: int = THRESHOLD,
    protection: int = PROTECTION,
    additive: bool = True,
    known=None,
    forced=None,
    audit: bool = True,
) -> np.ndarray:
    """The cells to hide, as a boolean mask over ``values`` (1-D)."""
    values = np.asarray(values)
    n = len(values)
    known = np.zeros(n, dtype=bool) if known is None else np.asarray(known, dtype=bool)
    sensitive = primary(values, threshold) & ~known
    hidden = sensitive | (np.zeros(n, dtype=bool) if forced is None else np.asarray(forced, dtype=bool))
    of_cell = _index(equations, n)
    given_up: set[int] = set()
    for _ in range(MAX_AUDIT_ROUNDS):
        _greedy(values, hidden, known, equations, protection)
        if not audit:
            return hidden
        weak = [c for c in _weak(values, hidden, equations, sensitive, protection, additive) if c not in given_up]
        if not weak:
            return hidden
        for cell in weak:
            if hidden_enough := _widen(cell, values, hidden, known, equations, of_cell, protection):
                continue
            # Every partner is hidden or published elsewhere: hide the rest of its equations, zeros included.
            rest = [c for k in of_cell[cell] for c in equations[k].cells if not hidden[c] and not known[c]]
            hidden[rest] = True
            if not rest and not hidden_enough:
                given_up.add(cell)  # nothing more this publication can do; the audit reports it
    raise RuntimeError("small-cell protection did not converge")


def _weak(values, hidden, equations, sensitive, protection, additive) -> list[int]:
    weak = []
    for cell in np.flatnonzero(sensitive & hidden):
        lo, hi = interval(values, hidden, equations, int(cell), additive)
        if hi - lo < protection:
            weak.append(int(cell))
    return weak


def _widen(cell, values, hidden, known, equations, of_cell, protection) -> bool:
    """Hide one more cell next to ``cell``: in its equations first, then in their cells' equations."""
    frontier = [cell]
    seen = set()
    for _ in range(3):
        candidates = []
        for c in frontier:
            for k in of_cell[c]:
                if k in seen:
                    continue
                seen.add(k)
                partner = _complement(equations[k], values, hidden, known, protection)
                if partner is not None:
                    candidates.append((partner == equations[k].total, -int(values[partner]), partner))
        if candidates:
            hidden[min(candidates)[2]] = True
            return True
        frontier = [c for k in seen for c in equations[k].cells if hidden[c]]
    return False


# -- linked publications ------------------------------------------------------
def time_links(periods) -> list[tuple[int, tuple[int, ...]]]:
    """``(period, parts)`` for periods that are exactly the union of others in the list (year = quarters…)."""
    index = {(p.first, p.last): i for i, p in enumerate(periods)}
    links = []
    for i, p in enumerate(periods):
        if p.kind == "year":
            parts = [index.get((f, f + 2)) for f in range(p.first, p.last + 1, 3)]
        elif p.kind == "quarter":
            parts = [index.get((m, m)) for m in range(p.first, p.last + 1)]
        else:
            continue
        if all(x is not None for x in parts):
            links.append((i, tuple(parts)))
    return links


def protect_mission(cube: np.ndarray, links, *, additive: bool, **options) -> np.ndarray:
    """A Mission's own publication: ``cube[period][column]`` (last column = total)."""
    P, C = cube.shape
    equations = cube_equations(P, 1, C, links, row_margin=False)
    return protect(cube.reshape(-1), equations, additive=additive, **options).reshape(P, C)


def protect_sector(cube: np.ndarray, links, *, additive: bool, mission_rows: bool = True, **options) -> np.ndarray:
    """The sector publication ``cube[period][mission][column]`` (last row and column: totals).

    With ``mission_rows``, each Mission row is first protected as that Mission's own publication would be;
    the sector then keeps every cell a Mission hid hidden, never counts on hiding a cell a Mission published,
    and hides sector totals as needed.
    """
    P, R, C = cube.shape
    known = np.zeros(cube.shape, dtype=bool)
    forced = np.zeros(cube.shape, dtype=bool)
    if mission_rows:
        for r in range(R - 1):
            own = protect_mission(cube[:, r, :], links, additive=additive, **options)
            forced[:, r, :] = own
            known[:, r, :] = ~own
    equations = cube_equations(P, R, C, links)
    hidden = protect(
        cube.reshape(-1), equations, additive=additive, known=known.reshape(-1), forced=forced.reshape(-1), **options
    )
    return hidden.reshape(cube.shape)
