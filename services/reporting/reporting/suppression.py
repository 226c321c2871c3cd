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
3. Audit (exact): for each primary cell, the least and the greatest value
   consistent with everything published, by linear programming (HiGHS); when
   the interval is narrower than ``protection``, one more cell of its
   equations is hidden and the audit starts again.
4. Flags: a publication says why each cell is hidden (``reasons``): ``small``
   or ``complementary``. The audit above is the one the attacker test checks
   (it does not use the flags). A reader who does learns that each small cell
   lies in ``1 … threshold - 1`` and can combine those bounds: a year of 4
   whose four quarters are all flagged small has 1 in each quarter, whatever
   else is hidden. ``interval(…, flags=True)`` measures that; the benchmark
   (``bench.reporting.protection``) counts the small cells it narrows.

Why it scales with the table (issue 21: the municipality table took minutes):

- the equations are built once per table as arrays (``Links``: a sparse
  incidence matrix; ``cube_links`` for the cubes, no Python loop over cells);
- each audit round builds one linear programme from them by slicing, and
  the solves of the round only change its objective (HiGHS warm-starts from
  the previous basis);
- every solution found is a table the published figures allow, so it bounds
  every hidden cell's interval from inside; a cell whose interval is already
  wide enough by those solutions needs no solve of its own. Two solves per
  round (the sum of the cells in doubt, maximised and minimised) settle most
  cells at once, each cell pushed only as far as it must go (a bound at
  ``protection`` past the other end of its range) so that the optimum does
  not spend itself on a few; such solves repeat while they settle cells;
- in additive tables, an equation whose other hidden cells cannot move a
  small cell by ``protection`` (their values, or a hidden total) gets one
  more hidden cell before any solve (``_room``), where the audit would have
  found the cell weak one round at a time (3 M events, drop-outs by
  municipality: 248 rounds to 12);
- hiding more cells only widens intervals (a solution stays one, the newly
  hidden cells at their true values), so a cell proven safe stays safe: later
  rounds audit only the cells found weak.

``known`` cells are published elsewhere (a Mission's own publication) and
can never hide anything; ``forced`` cells are hidden elsewhere and must stay
hidden here, or this publication would reveal them.

Work bounded by its caller (``kit.work``): each audit round and each solve
checks the deadline of the request it runs for, and a solve is given no more
time than is left of it, so a table whose callers have all gone stops within
one solve.
"""

from __future__ import annotations

import functools
import heapq
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from kit import work

THRESHOLD = 5
PROTECTION = 5
MAX_AUDIT_ROUNDS = 200
# From this many hidden cells, the audit's model is solved by HiGHS's interior point method (with crossover,
# so solutions stay vertices): on 3 M events the sector model of drop-outs by municipality (9,500 cells)
# took the simplex 10,000-20,000 iterations a solve, warm start or not (18.8 s for the table; 7.0 s so).
LARGE_MODEL = 4000
# One marker for every hidden cell, never "small" beside "complementary": told which hidden cells are under the
# threshold, a reader bounds each of those to 1-4 and the audit's intervals no longer hold. Measured with the
# flags split (``python -m bench.reporting.protection --flags``, seeded scale): all 75 small hidden cells of
# drop-outs by municipality pinned to their exact value; with one marker, none.
PROTECTED = "protected"
REASONS = {
    PROTECTED: "secret statistique : moins de 5 personnes, ou case masquée pour qu'une autre ne puisse être recalculée",
}


@dataclass(frozen=True)
class Equation:
    total: int
    parts: tuple[int, ...]

    @property
    def cells(self) -> tuple[int, ...]:
        return (self.total, *self.parts)


@dataclass
class Stats:
    """What a protection cost: linear programmes solved, audit rounds, and the cells the audit looked at."""

    solves: int = 0
    rounds: int = 0
    audited: int = 0  # (cell, round) pairs the audit had to settle
    settled_without_solve: int = 0  # of those, proven wide enough by solutions already found
    given_up: int = 0  # cells no further suppression in this publication could widen

    def add(self, other: Stats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Links:
    """A publication's equations as arrays, built once per table.

    Equation ``k``'s cells are ``cells[ptr[k]:ptr[k + 1]]``, its total first; ``incidence`` is the sparse
    matrix of ``sum(parts) - total`` (one row per equation), ``pairs`` that of ``part - total`` (one row per
    part: a part is never more than its total).
    """

    def __init__(self, n: int, ptr: np.ndarray, cells: np.ndarray):
        self.n = n
        self.ptr = np.asarray(ptr, dtype=np.int64)
        self.cells = np.asarray(cells, dtype=np.int64)
        m = len(self.ptr) - 1
        self.m = m
        sizes = np.diff(self.ptr)
        eq_of = np.repeat(np.arange(m), sizes)
        is_total = np.zeros(len(self.cells), dtype=bool)
        is_total[self.ptr[:-1][sizes > 0]] = True
        sign = np.where(is_total, -1.0, 1.0)
        self.incidence = sparse.csr_matrix((sign, (eq_of, self.cells)), shape=(m, n))
        self.members = sparse.csr_matrix((np.ones(len(self.cells), dtype=np.int64), (eq_of, self.cells)), shape=(m, n))
        totals = self.cells[self.ptr[:-1][sizes > 0]]
        total_of = np.full(m, -1, dtype=np.int64)
        total_of[sizes > 0] = totals
        part, part_eq = self.cells[~is_total], eq_of[~is_total]
        k = len(part)
        self.pair_part, self.pair_total = part, total_of[part_eq]
        self.pairs = sparse.csr_matrix(
            (np.r_[np.ones(k), -np.ones(k)], (np.r_[np.arange(k), np.arange(k)], np.r_[part, self.pair_total])),
            shape=(k, n),
        )
        self.entry_eq, self.entry_total, self.total_of = eq_of, is_total, total_of
        order = np.argsort(self.cells, kind="stable")  # by cell, then by equation
        self.cell_ptr = np.r_[0, np.cumsum(np.bincount(self.cells, minlength=n))]
        self.cell_eqs = eq_of[order]

    @classmethod
    def of(cls, equations: list[Equation], n: int) -> Links:
        sizes = [1 + len(eq.parts) for eq in equations]
        cells = [c for eq in equations for c in eq.cells]
        return cls(n, np.r_[0, np.cumsum(sizes, dtype=np.int64)], np.asarray(cells, dtype=np.int64))

    def equation(self, k: int) -> np.ndarray:
        return self.cells[self.ptr[k] : self.ptr[k + 1]]

    def equations_of(self, cell: int) -> np.ndarray:
        return self.cell_eqs[self.cell_ptr[cell] : self.cell_ptr[cell + 1]]


def cube_equations(periods: int, rows: int, columns: int, time_links=(), row_margin: bool = True) -> list[Equation]:
    """Equations of a cube ``[period][row][column]`` flattened in C order.

    The last column holds row totals; with ``row_margin`` the last row holds column totals.
    ``time_links`` are ``(period, parts)``: that period's every cell is the sum of the parts' same cell.
    """
    links = cube_links(periods, rows, columns, time_links, row_margin)
    return [Equation(int(eq[0]), tuple(int(c) for c in eq[1:])) for eq in map(links.equation, range(links.m))]


def cube_links(periods: int, rows: int, columns: int, time_links=(), row_margin: bool = True) -> Links:
    """``cube_equations`` as ``Links``, built with array arithmetic (same equations, same order).

    The equations depend only on the cube's shape, so they are built once per shape and shared (read only):
    a sector table protects eleven Mission rows of one shape, and an export many tables of few shapes; on
    small tables, building the sparse matrices was a third of the protection's time."""
    key = tuple((int(total), tuple(int(q) for q in parts)) for total, parts in time_links)
    return _cube_links(int(periods), int(rows), int(columns), key, bool(row_margin))


@functools.lru_cache(maxsize=256)
def _cube_links(periods: int, rows: int, columns: int, time_links, row_margin: bool) -> Links:
    R, C = rows, columns
    at = np.arange(periods * R * C, dtype=np.int64).reshape(periods, R, C)
    blocks = []  # (totals, parts as a 2-D array: one row per equation)
    for p in range(periods):
        blocks.append((at[p, :, C - 1], at[p, :, : C - 1]))
        if row_margin:
            blocks.append((at[p, R - 1, :], at[p, : R - 1, :].T))
    for total, parts in time_links:
        blocks.append((at[total].reshape(-1), np.stack([at[q].reshape(-1) for q in parts], axis=1)))
    cells = np.concatenate([np.column_stack([t, parts]).reshape(-1) for t, parts in blocks])
    sizes = np.concatenate([np.full(len(t), 1 + parts.shape[1]) for t, parts in blocks])
    return Links(periods * R * C, np.r_[0, np.cumsum(sizes)], cells)


def primary(values: np.ndarray, threshold: int = THRESHOLD) -> np.ndarray:
    return (values > 0) & (values < threshold)


def reasons(values: np.ndarray, hidden: np.ndarray, threshold: int = THRESHOLD) -> np.ndarray:
    """What is published for each cell: ``PROTECTED`` where it is hidden (whatever the reason), None elsewhere."""
    values, hidden = np.asarray(values), np.asarray(hidden, dtype=bool)
    out = np.full(values.shape, None, dtype=object)
    out[hidden] = PROTECTED
    return out


def _complement(cells: np.ndarray, total: int, values, hidden, known, protection) -> int | None:
    """The cell of an equation to hide with its lone hidden cell: a part before the total, a non-zero before
    a zero, at least ``protection`` before smaller, then the smallest (the largest of the small ones)."""
    free = cells[~hidden[cells] & ~known[cells]]
    if not len(free):
        return None
    v = values[free].astype(np.int64)
    big = v >= protection
    # np.lexsort: last key first; stable, so ties keep the equation's order (total first, then parts)
    order = np.lexsort((np.where(big, v, -v), ~big, v == 0, free == total))
    return int(free[order[0]])


def _greedy(values, hidden, known, links: Links, protection) -> None:
    """Hide a partner in every equation with exactly one hidden cell, in equation order, until none is left."""
    counts = links.members @ hidden.astype(np.int64)
    while True:
        queue = np.flatnonzero(counts == 1).tolist()  # ascending: a heap already
        changed = False
        while queue:
            k = heapq.heappop(queue)
            if counts[k] != 1:
                continue
            cells = links.equation(k)
            partner = _complement(cells, int(cells[0]), values, hidden, known, protection)
            if partner is None:
                continue
            hidden[partner] = True
            changed = True
            for j in links.equations_of(partner):
                counts[j] += 1
                if counts[j] == 1 and j > k:  # still ahead in this pass; behind: the next pass
                    heapq.heappush(queue, int(j))
        if not changed:
            return


def _room(values, hidden, known, sensitive, links: Links, protection) -> bool:
    """In additive tables, hide more where a small cell's equation cannot move it ``protection`` apart.

    Within one equation a hidden cell goes up only as far as the other hidden cells can come down (their
    values, or without end through a hidden total) and down to 0 at most; when that room is narrower than
    ``protection``, no solve is needed to know the audit would find the cell weak. Hiding a partner there
    first saves the audit rounds that would find it one cell at a time. Returns whether it hid anything.
    """
    v = values.astype(float)
    e, part, x = links.entry_eq, ~links.entry_total, v[links.cells]
    has_total = links.total_of >= 0
    hid_any = False
    while True:
        h = hidden[links.cells]
        parts_sum = np.bincount(e, weights=np.where(h & part, x, 0.0), minlength=links.m)
        parts_hidden = np.bincount(e, weights=(h & part).astype(float), minlength=links.m)
        total_hidden = np.where(has_total, hidden[links.total_of], False)[e]
        total_value = np.where(has_total, v[links.total_of], 0.0)[e]
        others = parts_hidden[e] - part  # hidden parts besides this cell
        up = np.where(part, parts_sum[e] - x + np.where(total_hidden, np.inf, 0.0), np.where(others > 0, np.inf, 0.0))
        down = np.where(part, np.where(others > 0, np.inf, np.where(total_hidden, total_value, 0.0)), parts_sum[e])
        narrow = sensitive[links.cells] & h & (np.minimum(x, down) + up < protection)
        progress = False
        for k in np.unique(e[narrow]).tolist():
            cells = links.equation(k)
            partner = _complement(cells, int(cells[0]), values, hidden, known, protection)
            if partner is not None:
                hidden[partner] = True
                progress = hid_any = True
        if not progress:
            return hid_any


_UNBOUNDED = (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible)
_SETTLED = (highspy.HighsModelStatus.kOptimal, *_UNBOUNDED)


class _Programme:
    """The audit's linear programme for one set of hidden cells: built once, re-solved with new objectives."""

    def __init__(self, values, hidden, links: Links, additive: bool, lower=None, upper=None, stats=None):
        self.variables = np.flatnonzero(hidden)
        self.position = np.full(len(values), -1, dtype=np.int64)
        self.position[self.variables] = np.arange(len(self.variables))
        self.stats = stats if stats is not None else Stats()
        published = np.where(hidden, 0.0, values.astype(float))
        nv = len(self.variables)
        # The rows as (row, column, ±1) entries, in the order the equations and pairs are listed, built from
        # the table's arrays with numpy alone: scipy's sparse slicing cost more than the solves on the small
        # tables of an export (hundreds of programmes, each of a few cells).
        eq, cell = links.entry_eq, links.cells
        sign = np.where(links.entry_total, -1.0, 1.0)
        touched = np.bincount(eq, weights=hidden[cell], minlength=links.m) > 0
        row_of = np.cumsum(touched) - 1  # equation -> its row, for the touched ones
        t = touched[eq]
        m1 = int(touched.sum())
        # sum(parts) - total with the published cells moved to the right
        rhs = -np.bincount(row_of[eq[t]], weights=(sign * published[cell])[t], minlength=m1)
        keep_entry = t & hidden[cell]
        rows = [row_of[eq[keep_entry]]]
        columns = [self.position[cell[keep_entry]]]
        data = [sign[keep_entry]]
        if additive:
            row_lower, row_upper = [rhs], [rhs]
        else:
            row_lower, row_upper = [rhs], [np.full(m1, np.inf)]  # sum(parts) >= total
            part, total = links.pair_part, links.pair_total
            near = hidden[part] | hidden[total]
            k = np.flatnonzero(near)
            row_k = m1 + np.arange(len(k))
            for at, s_ in ((part[k], 1.0), (total[k], -1.0)):
                mine = hidden[at]
                rows.append(row_k[mine])
                columns.append(self.position[at[mine]])
                data.append(np.full(int(mine.sum()), s_))
            row_lower.append(np.full(len(k), -np.inf))
            row_upper.append(published[total[k]] - published[part[k]])  # part <= total
        rows, columns, data = np.concatenate(rows), np.concatenate(columns), np.concatenate(data)
        row_lower, row_upper = np.concatenate(row_lower), np.concatenate(row_upper)
        col_lower = np.zeros(nv) if lower is None else lower[self.variables].astype(float)
        col_upper = np.full(nv, np.inf) if upper is None else upper[self.variables].astype(float)
        # A row of one hidden cell (a part beside its published total, mostly) is a bound on that cell:
        # most of the rows of distinct counts, which the simplex then never carries.
        size = np.bincount(rows, minlength=len(row_lower))
        alone = size[rows] == 1
        column, a, r = columns[alone], data[alone], rows[alone]
        low, high = row_lower[r] / a, row_upper[r] / a  # a is +1 or -1
        np.maximum.at(col_lower, column, np.where(a > 0, low, high))
        np.minimum.at(col_upper, column, np.where(a > 0, high, low))
        keep = size > 1
        renumber = np.cumsum(keep) - 1
        rows, columns, data = renumber[rows[~alone]], columns[~alone], data[~alone]
        row_lower, row_upper = row_lower[keep], row_upper[keep]
        order = np.lexsort((rows, columns))  # column-wise, rows ascending within a column
        start = np.r_[0, np.cumsum(np.bincount(columns, minlength=nv))].astype(np.int32)
        index, value = rows[order].astype(np.int32), data[order]
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = nv, len(row_lower)
        lp.col_cost_ = np.zeros(nv)
        lp.col_lower_ = col_lower
        lp.col_upper_ = col_upper
        self.col_lower, self.col_upper = col_lower, col_upper
        lp.row_lower_ = row_lower
        lp.row_upper_ = row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = start
        lp.a_matrix_.index_ = index
        lp.a_matrix_.value_ = value
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("presolve", "off")  # small, re-solved many times: warm starts beat presolve
        self.highs.setOptionValue("threads", 1)
        if nv >= LARGE_MODEL:
            self.highs.setOptionValue("solver", "ipm")
        self.highs.passModel(lp)
        self._costed = np.zeros(0, dtype=np.int64)

    def extreme(self, cells, maximise: bool, stop=None) -> tuple[float, np.ndarray | None]:
        """The greatest (least) value of the sum of ``cells`` and a table reaching it (None if unbounded).

        With ``stop``, each cell goes no further than its ``stop`` (an upper bound when maximising, a lower
        one when minimising): the audit only needs to know whether a cell can get that far, and a cell that
        cannot stops short of it at its true extreme. The bounds are restored after the solve.
        """
        h = self.highs
        columns = self.position[np.asarray(cells, dtype=np.int64)]
        if len(self._costed):
            h.changeColsCost(len(self._costed), self._costed, np.zeros(len(self._costed)))
        h.changeColsCost(len(columns), columns, np.ones(len(columns)))
        self._costed = columns
        h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize)
        lower, upper = self.col_lower[columns], self.col_upper[columns]
        if stop is not None:
            stop = np.asarray(stop, dtype=float)
            if maximise:
                h.changeColsBounds(len(columns), columns, lower, np.minimum(upper, stop))
            else:
                h.changeColsBounds(len(columns), columns, np.maximum(lower, stop), upper)
        try:
            return self._solve(columns, maximise)
        finally:
            if stop is not None:
                h.changeColsBounds(len(columns), columns, lower, upper)

    def _solve(self, columns, maximise: bool) -> tuple[float, np.ndarray | None]:
        h = self.highs
        work.check()
        left = work.remaining()
        h.setOptionValue("time_limit", float("inf") if left is None else max(left, 0.001))
        h.run()
        work.check()  # a solve cut short by the time limit ends here, its status unread
        self.stats.solves += 1
        status = h.getModelStatus()
        if status not in _SETTLED:
            # A warm-started simplex now and then stops with an infeasibility left ("Unknown", seen with
            # the primal simplex): solve that one again from scratch, presolve included.
            h.clearSolver()
            h.setOptionValue("presolve", "on")
            h.run()
            work.check()
            self.stats.solves += 1
            status = h.getModelStatus()
            h.setOptionValue("presolve", "off")
        if status == highspy.HighsModelStatus.kOptimal:
            x = np.round(np.asarray(h.getSolution().col_value), 9)
            return float(x[columns].sum()), x
        if status in _UNBOUNDED:
            # the true table satisfies every constraint, so the programme is feasible: unbounded
            return (float("inf") if maximise else float("-inf")), None
        raise RuntimeError(f"interval audit failed: {h.modelStatusToString(status)}")


def interval(values, hidden, equations, cell: int, additive: bool = True, flags: bool = False) -> tuple[float, float]:
    """The least and greatest value of ``cell`` consistent with the published cells (linear relaxation).

    With ``flags``, the reader also knows which hidden cells are small (``reasons``): each lies in
    ``1 … THRESHOLD - 1``.
    """
    values, hidden = np.asarray(values), np.asarray(hidden, dtype=bool)
    links = equations if isinstance(equations, Links) else Links.of(equations, len(values))
    lower = upper = None
    if flags:
        small = hidden & primary(values)
        lower, upper = np.where(small, 1.0, 0.0), np.where(small, THRESHOLD - 1.0, np.inf)
    lp = _Programme(values, hidden, links, additive, lower, upper)
    return lp.extreme([cell], False)[0], lp.extreme([cell], True)[0]


class _Audit:
    """The audit of one publication across its rounds, keeping what earlier solves proved.

    ``low``/``high`` are the least and greatest value each cell took in a table consistent with what is
    published (the true table first). Such tables only become more numerous as cells are hidden, so these
    ranges stay valid from one round to the next, and a cell proven safe stays safe.
    """

    def __init__(self, values, links, sensitive, protection, additive, stats):
        self.values, self.links, self.sensitive = values, links, sensitive
        self.protection, self.additive, self.stats = protection, additive, stats
        self.low, self.high = values.astype(float), values.astype(float)
        self.safe = np.zeros(len(values), dtype=bool)

    def _seen(self, lp: _Programme, x) -> None:
        if x is not None:
            at = lp.variables
            self.low[at] = np.minimum(self.low[at], x)
            self.high[at] = np.maximum(self.high[at], x)

    def _doubtful(self, cells: np.ndarray) -> np.ndarray:
        proven = self.high[cells] - self.low[cells] >= self.protection
        self.safe[cells[proven]] = True
        self.stats.settled_without_solve += int(proven.sum())
        return cells[~proven]

    def weak(self, hidden: np.ndarray) -> list[int]:
        """The hidden sensitive cells whose interval is narrower than ``protection``."""
        doubtful = np.flatnonzero(self.sensitive & hidden & ~self.safe)
        self.stats.audited += len(doubtful)
        doubtful = self._doubtful(doubtful)
        if not len(doubtful):
            return []
        lp = _Programme(self.values, hidden, self.links, self.additive, stats=self.stats)
        # One table pushing every doubtful cell up, one pushing them down, each cell only as far as it must go
        # (so that the optimum does not spend itself on a few cells): most cells are settled by these.
        maximise, idle = True, 0
        while len(doubtful) and idle < 2:
            before = len(doubtful)
            self._seen(lp, lp.extreme(doubtful, maximise, self._stop(doubtful, maximise))[1])
            doubtful = self._doubtful(doubtful)
            idle = idle + 1 if len(doubtful) == before else 0
            maximise = not maximise
        weak = []
        for cell in doubtful.tolist():
            if len(self._doubtful(np.array([cell]))) == 0 or self._settle(cell, lp):
                self.safe[cell] = True
            else:
                weak.append(cell)
        return weak

    def _stop(self, cells: np.ndarray, maximise: bool) -> np.ndarray:
        """How far a doubtful cell must go to be proven safe: ``protection`` from the other end of its range,
        and one more, so that rounding in a fractional solution cannot leave it a hair short.

        Both stops keep the true table feasible: a doubtful cell's range is narrower than ``protection``."""
        if maximise:
            return self.low[cells] + self.protection + 1
        return self.high[cells] - self.protection - 1

    def _settle(self, cell: int, lp: _Programme) -> bool:
        """The exact interval of one cell, as far as needed: True when wide enough."""
        cells = np.array([cell])
        hi, x = lp.extreme(cells, True, self._stop(cells, True))
        self._seen(lp, x)
        if hi - self.low[cell] >= self.protection:
            return True
        lo, x = lp.extreme(cells, False, self._stop(cells, False))
        self._seen(lp, x)
        return hi - lo >= self.protection


def protect(
    values,
    equations,
    *,
    threshold: int = THRESHOLD,
    protection: int = PROTECTION,
    additive: bool = True,
    known=None,
    forced=None,
    audit: bool = True,
    stats: Stats | None = None,
) -> np.ndarray:
    """The cells to hide, as a boolean mask over ``values`` (1-D).

    ``equations``: a list of ``Equation`` or ``Links``; ``stats`` counts the work.
    """
    values = np.asarray(values)
    n = len(values)
    links = equations if isinstance(equations, Links) else Links.of(equations, n)
    stats = stats if stats is not None else Stats()
    known = np.zeros(n, dtype=bool) if known is None else np.asarray(known, dtype=bool)
    sensitive = primary(values, threshold) & ~known
    hidden = sensitive | (np.zeros(n, dtype=bool) if forced is None else np.asarray(forced, dtype=bool))
    auditor = _Audit(values, links, sensitive, protection, additive, stats)
    given_up: set[int] = set()
    for _ in range(MAX_AUDIT_ROUNDS):
        work.check()
        _greedy(values, hidden, known, links, protection)
        while additive and _room(values, hidden, known, sensitive, links, protection):
            _greedy(values, hidden, known, links, protection)
        if not audit:
            return hidden
        stats.rounds += 1
        weak = [c for c in auditor.weak(hidden) if c not in given_up]
        if not weak:
            stats.given_up += len(given_up)
            return hidden
        for cell in weak:
            if _widen(cell, values, hidden, known, links, protection):
                continue
            # Every partner is hidden or published elsewhere: hide the rest of its equations, zeros included.
            rest = np.unique(np.concatenate([links.equation(k) for k in links.equations_of(cell)] or [[]]))
            rest = rest[~hidden[rest] & ~known[rest]].astype(np.int64)
            hidden[rest] = True
            if not len(rest):
                given_up.add(cell)  # nothing more this publication can do
    raise RuntimeError("small-cell protection did not converge")


def _widen(cell, values, hidden, known, links: Links, protection) -> bool:
    """Hide one more cell next to ``cell``: in its equations first, then in their cells' equations."""
    frontier = [cell]
    seen: set[int] = set()
    for _ in range(3):
        candidates = []
        for c in frontier:
            for k in links.equations_of(c):
                k = int(k)
                if k in seen:
                    continue
                seen.add(k)
                cells = links.equation(k)
                partner = _complement(cells, int(cells[0]), values, hidden, known, protection)
                if partner is not None:
                    candidates.append((partner == int(cells[0]), -int(values[partner]), partner))
        if candidates:
            hidden[min(candidates)[2]] = True
            return True
        frontier = [int(c) for k in seen for c in links.equation(k) if hidden[c]]
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
    equations = cube_links(P, 1, C, links, row_margin=False)
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
    equations = cube_links(P, R, C, links)
    hidden = protect(
        cube.reshape(-1), equations, additive=additive, known=known.reshape(-1), forced=forced.reshape(-1), **options
    )
    return hidden.reshape(cube.shape)
