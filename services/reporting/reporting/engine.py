"""The aggregation engine: every indicator recomputed from the coded fact log, with numpy.

``Facts`` holds the fact log's codes as arrays (loaded from ``fact`` in a
Mission, ``sector_fact`` at InterMire). ``table`` counts one indicator for
one period as a grid of two dimensions with its margins: acts are summed,
persons and entities are counted distinct, so a person followed by two
Missions counts once in every sector-wide margin, and a person in two target
groups counts once in the total.

Each indicator's facts are selected once per ``Facts`` (a ``Subset``): their
row numbers ordered by year and, within a year, by unit (person or entity),
with each row's month, the dense rank of its unit, and the dimension codes
gathered as they are first asked for. A year is then a contiguous slice and
a quarter or a month a mask over it; distinct counting sorts (unit, cell)
keys that arrive nearly sorted (``reporting.counting``). Several periods of
one kind (a year's quarters, every month) are counted in one pass, the
period being part of the cell code.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import SmallInteger, case, cast, select

from reporting import catalogue as cat
from reporting.catalogue import Indicator
from reporting.counting import count_cells, count_grid, expand_groups
from reporting.periods import Period

COLUMNS = ("kind", "day", "person", "entity", "tag", "gender", "age", "groups", "municipality")
_PERSON_KINDS = np.array([code for t, code in cat.TYPE_CODE.items() if t.startswith((cat.B, cat.M))])
_REGISTERED = cat.TYPE_CODE[cat.B + "registered.v1"]
_CORRECTED = cat.TYPE_CODE[cat.CORRECTED]
_DAYS = 100_000_000  # above any yyyymmdd: (person rank, day) as one sortable integer
_EXPANDED = "target_group"  # the one dimension where a row can be in several cells


def _lookup_mask(values: np.ndarray, wanted) -> np.ndarray:
    """``np.isin(values, wanted)`` for small non-negative codes, by a table lookup instead of a sort."""
    wanted = [int(w) for w in wanted]
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    low, high = int(values.min()), int(values.max())
    if low < 0 or high > 1 << 16:
        return np.isin(values, wanted)
    table = np.zeros(high + 1, dtype=bool)
    table[[w for w in wanted if 0 <= w <= high]] = True
    return table[values]


def _dense(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)``; by counting when the values are small non-negative codes."""
    if len(values) and values.min() >= 0 and values.max() < 1 << 22:
        present = np.bincount(values) > 0
        unique = np.flatnonzero(present)
        position = np.cumsum(present) - 1
        return unique.astype(values.dtype), position[values]
    return np.unique(values, return_inverse=True)


@dataclass
class Subset:
    """One indicator's facts: row numbers ordered by (year, unit), each row's month and unit rank.

    ``rank`` is the unit's position among the subset's distinct units (None when the indicator counts
    acts); ``codes`` holds the dimension codes gathered so far, aligned with ``rows`` (or, for target
    groups, with the expanded (row, group) pairs).
    """

    rows: np.ndarray
    month: np.ndarray
    year: np.ndarray
    rank: np.ndarray | None
    codes: dict = field(default_factory=dict, repr=False)

    def span(self, first: int, last: int) -> tuple[int, int, np.ndarray | None]:
        """(lo, hi, mask): the rows of months ``first … last`` are ``[lo, hi)``, filtered by ``mask`` unless None."""
        lo = int(np.searchsorted(self.year, first // 12, "left"))
        hi = int(np.searchsorted(self.year, last // 12, "right"))
        if first % 12 == 0 and last % 12 == 11:
            return lo, hi, None  # whole years: the slice is exact
        m = self.month[lo:hi]
        return lo, hi, (m >= first) & (m <= last)


@dataclass
class Facts:
    """The coded fact log as column arrays, with the site labels of the ``mission`` codes."""

    kind: np.ndarray
    day: np.ndarray
    person: np.ndarray
    entity: np.ndarray
    tag: np.ndarray
    gender: np.ndarray
    age: np.ndarray
    groups: np.ndarray
    municipality: np.ndarray
    mission: np.ndarray
    missions: tuple[str, ...]
    basins: tuple[str, ...]
    # The values of the target-group breakdown: every group in a Mission, at InterMire only those that may
    # travel there (``catalogue.sector_groups``), so no table shows a column that is empty by construction.
    target_groups: tuple[str, ...] = cat.TARGET_GROUPS
    _subsets: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.month = (self.day // 10000) * 12 + (self.day // 100) % 100 - 1
        self._municipality_index = None  # sorted codes and each row's position, built on first use
        self._person_order = None  # rows by person, and each person's dense rank in that order
        self._narrow = {}  # dimension columns as int16: gathering a small type at random rows is far cheaper
        self._versions = {}  # data_version's digests
        self._hidden = {}  # publication's one-breakdown protections, reused as two-breakdown margins

    def _municipality(self):
        if self._municipality_index is None:
            self._municipality_index = _dense(self.municipality)
        return self._municipality_index

    def __len__(self) -> int:
        return len(self.kind)

    @classmethod
    def from_columns(cls, columns: dict, missions=("",), basins=None, target_groups=cat.TARGET_GROUPS) -> Facts:
        n = len(columns["kind"])
        arrays = {c: np.ascontiguousarray(columns[c], dtype=np.int64) for c in COLUMNS}
        mission = np.asarray(columns.get("mission", np.zeros(n)), dtype=np.int16)
        return cls(
            **arrays,
            mission=mission,
            missions=tuple(missions),
            basins=tuple(basins or [""] * len(missions)),
            target_groups=tuple(target_groups),
        )

    # -- subsets ---------------------------------------------------------
    def _by_person(self) -> tuple[np.ndarray, np.ndarray]:
        """Every row ordered by person (one sort shared by all person indicators) and the person's rank."""
        if self._person_order is None:
            order = np.argsort(self.person)  # the order within a person does not matter, only the grouping
            p = self.person[order]
            rank = np.zeros(len(p), dtype=np.int64)
            if len(p):
                np.cumsum(p[1:] != p[:-1], out=rank[1:])
            self._person_order = (order, rank)
        return self._person_order

    def subset(self, ind: Indicator) -> Subset:
        """The facts ``ind`` counts, ordered by year, then by its unit (person or entity)."""
        if ind.name in self._subsets:
            return self._subsets[ind.name]
        mask = _lookup_mask(self.kind, [cat.TYPE_CODE[t] for t in ind.types])
        if ind.tag is not None:
            mask &= self.tag == cat.TAG_CODE[ind.tag]
        rank = None
        if ind.first_only:
            # Each person's first such fact in each Mission: sort by (person, mission, day), keep the first.
            rows = np.flatnonzero(mask)
            order = np.lexsort((self.day[rows], self.mission[rows], self.person[rows]))
            rows = rows[order]
            p, m = self.person[rows], self.mission[rows]
            keep = np.ones(len(rows), dtype=bool)
            keep[1:] = (p[1:] != p[:-1]) | (m[1:] != m[:-1])
            rows = rows[keep]
        elif ind.counts == cat.PERSONS:
            order, person_rank = self._by_person()
            chosen = mask[order]
            rows, rank = order[chosen], person_rank[chosen]
        else:
            rows = np.flatnonzero(mask)
        if rank is None and ind.counts != cat.ACTS:
            unit = self.unit(ind)[rows]
            order = np.argsort(unit, kind="stable")  # stable: first_only rows, already by person, stay as they are
            rows, unit = rows[order], unit[order]
            rank = np.zeros(len(rows), dtype=np.int64)
            if len(rows):
                np.cumsum(unit[1:] != unit[:-1], out=rank[1:])
        month = self.month[rows].astype(np.int32)
        year = month // 12
        by_year = np.argsort(year, kind="stable")  # keeps the unit order within each year
        rows, month, year = rows[by_year], month[by_year], year[by_year]
        if rank is not None:
            rank = rank[by_year]
        self._subsets[ind.name] = Subset(rows, month, year, rank)
        return self._subsets[ind.name]

    def unit(self, ind: Indicator) -> np.ndarray | None:
        return {cat.PERSONS: self.person, cat.ENTITIES: self.entity}.get(ind.counts)

    # -- dimensions --------------------------------------------------------
    def labels(self, dimension: str | None) -> list[str]:
        if dimension is None:
            return ["all"]
        if dimension == "target_group":
            return [*self.target_groups, cat.NO_TARGET_GROUP]
        if dimension == "gender":
            return list(cat.GENDERS)
        if dimension == "age_band":
            return list(cat.AGE_BANDS)
        if dimension == "municipality":
            return [str(m) if m else "unknown" for m in self._municipality()[0]]
        if dimension == "mission":
            return list(self.missions)
        if dimension == "basin":
            return sorted(set(self.basins))
        if dimension == cat.QUARTER:
            return list(cat.QUARTERS)
        if dimension == cat.EXIT_REASON:
            return [*cat.EXIT_REASONS, "unknown"]
        if dimension == cat.PARTNER_TYPE:
            return [*cat.PARTNER_TYPES, "unknown"]
        if dimension == cat.OUTCOME:
            return [*cat.ORIENTATION_OUTCOMES, "unknown"]
        raise KeyError(dimension)

    def _column(self, dimension: str) -> np.ndarray:
        """Every row's code in ``dimension`` (not target groups), as the smallest integer type that holds it."""
        if dimension not in self._narrow:
            if dimension in ("gender", "age_band"):
                values = self.gender if dimension == "gender" else self.age
            elif dimension == "municipality":
                values = self._municipality()[1]
            elif dimension == "mission":
                values = self.mission
            elif dimension == "basin":
                labels = sorted(set(self.basins))
                of_mission = np.asarray([labels.index(b) for b in self.basins], dtype=np.int64)
                values = of_mission[self.mission]
            elif dimension == cat.QUARTER:
                values = (self.month % 12) // 3
            elif dimension == cat.EXIT_REASON:
                # the fact's qualifier, when it is an exit reason; "unknown" (the last label) otherwise
                of_tag = np.full(len(cat.TAG_VALUES), len(cat.EXIT_REASONS), dtype=np.int64)
                for i, reason in enumerate(cat.EXIT_REASONS):
                    of_tag[cat.TAG_CODE[reason]] = i
                values = of_tag[np.clip(self.tag, 0, len(cat.TAG_VALUES) - 1)]
            elif dimension in (cat.PARTNER_TYPE, cat.OUTCOME):
                # an orientation fact's qualifier (catalogue.orientation_tag): code 0 is "unknown", the last label
                known = cat.PARTNER_TYPES if dimension == cat.PARTNER_TYPE else cat.ORIENTATION_OUTCOMES
                low = (1 << cat.PARTNER_TYPE_BITS) - 1
                code = self.tag & low if dimension == cat.PARTNER_TYPE else self.tag >> cat.PARTNER_TYPE_BITS
                code = np.where((code >= 1) & (code <= len(known)), code - 1, len(known))
                values = code.astype(np.int64)
            else:
                raise KeyError(dimension)
            small = len(values) == 0 or (values.min() >= 0 and values.max() < 1 << 15)
            self._narrow[dimension] = values.astype(np.int16 if small else np.int64)
        return self._narrow[dimension]

    def codes(self, dimension: str | None, rows: np.ndarray) -> np.ndarray:
        """Each row's cell code in ``dimension`` (not target groups: a row can be in several)."""
        if dimension is None:
            return np.zeros(len(rows), dtype=np.int16)
        return self._column(dimension)[rows]

    def subset_codes(self, sub: Subset, dimension: str | None):
        """``(positions, codes)`` over ``sub``: positions None when each row has one code (aligned with
        ``sub.rows``), else the ascending subset position of each (row, target group) pair."""
        if dimension not in sub.codes:
            if dimension == _EXPANDED:
                if "groups" not in self._narrow:
                    small = len(self.groups) == 0 or (self.groups.min() >= 0 and self.groups.max() < 1 << 15)
                    self._narrow["groups"] = self.groups.astype(np.int16) if small else self.groups
                pos, codes = expand_groups(self._narrow["groups"][sub.rows])
                if self.target_groups != cat.TARGET_GROUPS:
                    # A group's bit renumbered to its place among the values shown; a group not shown (nothing
                    # carries it, see ``target_groups``) dropped with its pairs.
                    shown = [*self.target_groups, cat.NO_TARGET_GROUP]
                    every = [*cat.TARGET_GROUPS, cat.NO_TARGET_GROUP]
                    place = np.asarray([shown.index(g) if g in shown else -1 for g in every], dtype=codes.dtype)
                    placed = place[codes]
                    keep = placed >= 0
                    pos, codes = pos[keep], placed[keep]
                sub.codes[dimension] = (pos, codes)
            else:
                sub.codes[dimension] = (None, self.codes(dimension, sub.rows))
        return sub.codes[dimension]


@dataclass
class Table:
    """One indicator, one period: ``cells[r][c]`` with row, column and grand totals (distinct where it counts)."""

    indicator: str
    period: str
    rows: str | None
    columns: str | None
    row_labels: list[str]
    column_labels: list[str]
    cells: np.ndarray
    row_totals: np.ndarray
    column_totals: np.ndarray
    total: int


def table(
    facts: Facts, ind: Indicator, period: Period, rows_dim: str | None = None, columns_dim: str | None = None
) -> Table:
    return tables(facts, ind, [period], rows_dim, columns_dim)[0]


def tables(
    facts: Facts, ind: Indicator, periods: list[Period], rows_dim: str | None = None, columns_dim: str | None = None
) -> list[Table]:
    """``table`` for each of ``periods``; periods of one kind (never overlapping) are counted in one pass."""
    if rows_dim == _EXPANDED and columns_dim == _EXPANDED:
        raise ValueError("target groups can be the rows or the columns, not both")
    out: dict[int, Table] = {}
    for kind in dict.fromkeys(p.kind for p in periods):
        chosen = [i for i, p in enumerate(periods) if p.kind == kind]
        counted = _tables_of_a_kind(facts, ind, [periods[i] for i in chosen], rows_dim, columns_dim)
        out.update(zip(chosen, counted, strict=True))
    return [out[i] for i in range(len(periods))]


def _select(sub: Subset, periods: list[Period]):
    """(lo, hi, which): rows ``[lo, hi)`` cover ``periods``; ``which`` is each row's period index, -1 for
    none, or None when every row of the slice is in the only period."""
    first, last = min(p.first for p in periods), max(p.last for p in periods)
    lo, hi, mask = sub.span(first, last)
    if len(periods) == 1 and mask is None:
        return lo, hi, None
    lookup = np.full(last - first + 1, -1, dtype=np.int64)
    for i, p in enumerate(periods):
        lookup[p.first - first : p.last - first + 1] = i
    month = sub.month[lo:hi]
    inside = (month >= first) & (month <= last)
    which = np.full(hi - lo, -1, dtype=np.int64)
    which[inside] = lookup[month[inside] - first]
    return lo, hi, which


def _tables_of_a_kind(facts, ind, periods, rows_dim, columns_dim) -> list[Table]:
    sub = facts.subset(ind)
    P = len(periods)
    r_labels, c_labels = facts.labels(rows_dim), facts.labels(columns_dim)
    R, C = len(r_labels), len(c_labels)
    lo, hi, which = _select(sub, periods)
    w = np.zeros(hi - lo, dtype=np.int64) if which is None else which
    keep = w >= 0

    def on_rows(dimension):
        """The dimension's codes for the slice's rows, expanded to (row, group) pairs for target groups."""
        pos, codes = facts.subset_codes(sub, dimension)
        if pos is None:
            return None, codes[lo:hi]
        a, b = np.searchsorted(pos, [lo, hi])
        return pos[a:b] - lo, codes[a:b]

    r_pos, r_codes = on_rows(rows_dim)
    c_pos, c_codes = on_rows(columns_dim)
    # the grid follows the expanded pairs when one dimension is target groups
    base = c_pos if c_pos is not None else r_pos
    if base is None:
        g_r, g_c, g_w, g_keep = r_codes, c_codes, w, keep
        g_rank = None if sub.rank is None else sub.rank[lo:hi]
    else:
        g_r = r_codes if r_pos is not None else r_codes[base]
        g_c = c_codes if c_pos is not None else c_codes[base]
        g_w, g_keep = w[base], keep[base]
        g_rank = None if sub.rank is None else sub.rank[lo:hi][base]
    if not g_keep.all():
        g_r, g_c, g_w = g_r[g_keep], g_c[g_keep], g_w[g_keep]
        g_rank = None if g_rank is None else g_rank[g_keep]

    if sub.rank is not None:
        cells, row_totals, column_totals, totals = count_grid(g_rank, g_w, g_r, g_c, P, R, C)
    else:
        # acts: each margin counts the rows of its own dimension (a row once, unless it is target groups)
        cells = np.bincount((g_w * R + g_r) * C + g_c, minlength=P * R * C).reshape(P, R, C)

        def margin(pos, codes, size):
            kw = w[pos] if pos is not None else w
            k = kw >= 0
            return np.bincount(kw[k] * size + codes[k], minlength=P * size).reshape(P, size)

        row_totals = margin(r_pos, r_codes, R)
        column_totals = margin(c_pos, c_codes, C)
        totals = np.bincount(w[keep], minlength=P)
    return [
        Table(
            ind.name,
            p.label,
            rows_dim,
            columns_dim,
            r_labels,
            c_labels,
            cells[i],
            row_totals[i],
            column_totals[i],
            int(totals[i]),
        )
        for i, p in enumerate(periods)
    ]


_MIX = np.uint64(0x9E3779B97F4A7C15)


def data_version(facts: Facts, ind: Indicator, first: int, last: int, dimensions=()) -> str:
    """A digest of what ``ind``'s figures for months ``first … last`` are computed from.

    The facts the indicator counts in those months (every coded field, in any order) and the labels of
    the Missions and of ``dimensions``: a fact recorded elsewhere (another year, another indicator)
    leaves it unchanged, a fact that changes a figure changes it. Memoised on ``facts`` (a new fact
    reloads them).
    """
    key = (ind.name, first, last, tuple(dimensions))
    memo = facts._versions
    if key in memo:
        return memo[key]
    # The rows' digest is the costly part (every coded field of every row: 0.2-0.6 s at 3 M events) and does
    # not depend on the breakdown: computed once per indicator and months, shared by all its breakdowns.
    rows_key = (ind.name, first, last)
    if rows_key not in memo:
        sub = facts.subset(ind)
        lo, hi, mask = sub.span(first, last)
        rows = sub.rows[lo:hi] if mask is None else sub.rows[lo:hi][mask]
        mixed = np.zeros(len(rows), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for column in (*COLUMNS, "mission"):
                mixed = (mixed ^ getattr(facts, column)[rows].astype(np.uint64)) * _MIX
                mixed ^= mixed >> np.uint64(29)
            # a sum does not depend on the rows' order (the database returns them in any order)
            total = int(mixed.sum(dtype=np.uint64))
        memo[rows_key] = f"{len(rows)}:{total}:{facts.missions}:{facts.basins}"
    digest = hashlib.blake2b(digest_size=16)
    digest.update(memo[rows_key].encode())
    for dimension in dimensions:
        digest.update(repr(facts.labels(dimension)).encode())
    memo[key] = digest.hexdigest()
    return memo[key]


def breakdown(facts: Facts, ind: Indicator, period: Period, by: str | None) -> dict:
    """``{"total": n, "cells": {label: n}}`` for one dimension (or none)."""
    t = table(facts, ind, period, None, by)
    cells = {label: int(v) for label, v in zip(t.column_labels, t.column_totals, strict=True) if v}
    return {"total": t.total, "cells": cells if by else {}}


def every_figure(facts: Facts, indicators, periods: list[Period]) -> dict:
    """Every indicator × period × breakdown (none, and each of its dimensions) at once.

    One pass per (indicator, dimension, kind of period): the cell code is ``period × labels + value``,
    so all months (or quarters, or years) are counted by a single sort. Returns
    ``{(indicator, period, dimension): {"total": n, "cells": {label: n}}}``.
    """
    out = {}
    kinds = {}
    for kind, span in (("month", 1), ("quarter", 3), ("year", 12)):
        chosen = [p for p in periods if p.kind == kind]
        if chosen:
            kinds[kind] = (chosen, span, {p.first // span: i for i, p in enumerate(chosen)})
    for ind in indicators:
        sub = facts.subset(ind)
        for dimension in (None, *ind.dimensions):
            labels = facts.labels(dimension)
            pos, values = facts.subset_codes(sub, dimension)
            month = sub.month if pos is None else sub.month[pos]
            rank = sub.rank if pos is None or sub.rank is None else sub.rank[pos]
            for chosen, span, index in kinds.values():
                bucket = month // span
                low = int(bucket.min(initial=0))
                lookup = np.full(int(bucket.max(initial=0)) + 2 - low, -1, dtype=np.int64)
                for b, i in index.items():
                    if 0 <= b - low < len(lookup):
                        lookup[b - low] = i
                which = lookup[bucket - low]
                code, ranks = which * len(labels) + values, rank
                keep = which >= 0
                if not keep.all():
                    code, ranks = code[keep], None if rank is None else rank[keep]
                counts = count_cells(code, ranks, len(chosen) * len(labels)).reshape(len(chosen), -1)
                for i, p in enumerate(chosen):
                    cells = {label: int(v) for label, v in zip(labels, counts[i], strict=True) if v}
                    out[(ind.name, p.label, dimension)] = {
                        "cells": cells if dimension else {},
                        "total": int(counts[i].sum()) if dimension is None else None,
                    }
    for ind in indicators:
        for chosen, _, _ in kinds.values():
            for p in chosen:
                for dimension in ind.dimensions:
                    out[(ind.name, p.label, dimension)]["total"] = out[(ind.name, p.label, None)]["total"]
    return out


# -- loading -----------------------------------------------------------------
def load_mission(session, fact_table, mission: str, basin: str) -> Facts:
    """A Mission's facts; person facts take the person's dimensions from their intake fact."""
    columns = fetch_codes(session, fact_table)
    join_person_dimensions(columns)
    return Facts.from_columns(columns, missions=(mission,), basins=(basin,))


def join_person_dimensions(columns: dict) -> None:
    """Copy onto each person fact the dimensions (gender, age band, target groups, municipality) the person had
    on its day: their intake's, or those of their latest correction dated on or before it.

    A correction changes the person's later facts, never the earlier ones, so a period already published
    keeps its figures; a fact dated before the intake takes the intake's dimensions.
    """
    kind, person, day, tag = columns["kind"], columns["person"], columns["day"], columns["tag"]
    sources = np.flatnonzero(np.isin(kind, (_REGISTERED, _CORRECTED)) & (person != 0))
    if not len(sources):
        return
    # By person, then day; on one day the intake first, then the corrections by the version each made.
    version = np.where(kind[sources] == _CORRECTED, tag[sources] + 1, 0)
    order = sources[np.lexsort((version, day[sources], person[sources]))]
    people, rank = np.unique(person[order], return_inverse=True)
    first = np.searchsorted(rank, np.arange(len(people)))  # each person's intake (or earliest source)
    targets = np.flatnonzero(np.isin(kind, _PERSON_KINDS) & (person != 0))
    at = np.minimum(np.searchsorted(people, person[targets]), len(people) - 1)
    found = people[at] == person[targets]
    targets, at = targets[found], at[found]
    chosen = first[at]
    # Most people were never corrected: only the facts of those with several sources look for the one of their day.
    several = np.flatnonzero(np.diff(first, append=len(order))[at] > 1)
    if len(several):
        keys = rank * _DAYS + day[order]
        who = at[several]
        latest = np.searchsorted(keys, who * _DAYS + day[targets[several]], side="right") - 1
        theirs = (latest >= 0) & (rank[np.maximum(latest, 0)] == who)  # else dated before the person's intake
        chosen[several] = np.where(theirs, latest, first[who])
    source = order[chosen]
    for c in ("gender", "age", "groups", "municipality"):
        columns[c][targets] = columns[c][source]


def _green_psycopg() -> bool:
    """psycopg2 under psycogreen (a service process) cannot COPY; a batch process (replay, benchmark) can."""
    from psycopg2.extensions import get_wait_callback

    return get_wait_callback() is not None


# PostgreSQL's binary COPY of the coded columns. Every field costs the server an output call and the
# stream a 4-byte length, so the narrow columns travel packed into 64-bit words, by their SQL types
# (smallint 16 bits, integer 32, bigint 64: lossless whatever the values); PostgreSQL shifts bigints
# with wrap-around, so a word's top bit is just a bit. Every row then has the same layout (a field
# count, then a length and a big-endian word per field, none NULL), and numpy reads it as a
# structured array.
_BITS = {
    "kind": 16,
    "day": 32,
    "person": 64,
    "entity": 64,
    "tag": 16,
    "gender": 16,
    "age": 16,
    "groups": 32,
    "municipality": 32,
    "mission": 16,
}
_COPY_HEADER, _COPY_TRAILER = 19, 2


def _words(columns) -> list[list[tuple[str, int]]]:
    """The columns grouped into 64-bit words: ``[[(column, shift), …], …]``, narrowest columns first."""
    words: list[tuple[list, list]] = []  # (the word's columns and shifts, [bits used])
    for c in sorted(columns, key=lambda c: _BITS[c]):  # stable: the columns' order among equal widths
        for parts, used in words:
            if used[0] + _BITS[c] <= 64:
                parts.append((c, used[0]))
                used[0] += _BITS[c]
                break
        else:
            words.append(([(c, 0)], [_BITS[c]]))
    return [parts for parts, _ in words]


def _packed_select(expressions: dict[str, str], words) -> str:
    fields = []
    for word in words:
        if len(word) == 1 and _BITS[word[0][0]] == 64:
            fields.append(f"({expressions[word[0][0]]})")
            continue
        fields.append(
            " | ".join(f"((({expressions[c]})::bigint & {(1 << _BITS[c]) - 1}) << {shift})" for c, shift in word)
        )
    return ", ".join(fields)


def _parse_binary_copy(data, words) -> dict[str, np.ndarray]:
    row = np.dtype([("fields", ">i2")] + [f for i in range(len(words)) for f in ((f"len{i}", ">i4"), (f"w{i}", ">u8"))])
    body = np.frombuffer(data, dtype=np.uint8)[_COPY_HEADER : len(data) - _COPY_TRAILER]
    if len(body) % row.itemsize:
        raise ValueError("unexpected binary COPY layout")
    rows = body.view(row)
    if len(rows) and (
        (rows["fields"] != len(words)).any() or any((rows[f"len{i}"] != 8).any() for i in range(len(words)))
    ):
        raise ValueError("unexpected binary COPY layout")
    out = {}
    for i, word in enumerate(words):
        w = rows[f"w{i}"].astype(np.uint64)  # native order, contiguous
        for c, shift in word:
            bits = _BITS[c]
            part = w if bits == 64 else (w >> np.uint64(shift)) & np.uint64((1 << bits) - 1)
            out[c] = part.astype(f"u{bits // 8}").view(f"i{bits // 8}").astype(np.int64)  # two's complement back
    return out


def fetch_codes(session, fact_table, missions: list[str] | None = None) -> dict[str, np.ndarray]:
    """The coded columns (``COLUMNS``) as int64 arrays by name, and ``mission``, the row's index in
    ``missions`` (-1 for a Mission not in the list), when ``missions`` is given.

    On PostgreSQL, ``COPY … TO STDOUT (FORMAT binary)`` read by numpy takes millions of rows several
    times faster than fetching Python tuples; a green (psycogreen) connection cannot COPY and fetches tuples.
    """
    selected = {c: getattr(fact_table, c) for c in COLUMNS}
    if missions is not None:
        index = case({code: i for i, code in enumerate(missions)}, value=fact_table.mission, else_=-1)
        selected["mission"] = cast(index, SmallInteger)
    columns = tuple(selected)
    connection = session.connection()
    if connection.dialect.name == "postgresql" and not _green_psycopg():

        def sql_of(expression):
            return str(expression.compile(connection, compile_kwargs={"literal_binds": True}))

        words = _words(columns)
        table_name = connection.dialect.identifier_preparer.format_table(fact_table.__table__)
        sql = f"SELECT {_packed_select({c: sql_of(e) for c, e in selected.items()}, words)} FROM {table_name}"
        buffer = io.BytesIO()
        with connection.connection.dbapi_connection.cursor() as cursor:
            cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT binary)", buffer)
        return _parse_binary_copy(buffer.getbuffer(), words)
    data = np.asarray(session.execute(select(*selected.values())).all(), dtype=np.int64).reshape(-1, len(columns))
    return {c: np.ascontiguousarray(data[:, i]) for i, c in enumerate(columns)}


def remap(values: np.ndarray, old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``values`` with every element found in ``old`` replaced by ``new`` at the same index."""
    if not len(old) or not len(values):
        return values
    order = np.argsort(old, kind="stable")
    old, new = old[order], new[order]
    at = np.minimum(np.searchsorted(old, values), len(old) - 1)
    return np.where(old[at] == values, new[at], values)


def load_sector(session, fact_table, missions: list[tuple[str, str]], aliases=None) -> Facts:
    """InterMire's facts in one read; a Mission missing from the registry is added from the facts themselves.

    ``aliases`` (``(previous person keys, person keys)``, from a sector key rotation) are applied to the
    person column, so a person counts once across pseudonyms of two keys. The target-group breakdown lists
    only the groups that may travel to InterMire (``catalogue.sector_groups``).
    """
    codes = [code for code, _ in missions]
    basins = [basin for _, basin in missions]
    columns = fetch_codes(session, fact_table, codes) if codes else None
    if columns is None or (columns["mission"] < 0).any():
        for code in session.scalars(select(fact_table.mission).distinct()).all():
            if code not in codes:
                codes.append(code)
                basins.append("unknown")
        columns = fetch_codes(session, fact_table, codes)
    if aliases is not None:
        columns["person"] = remap(columns["person"], *aliases)
    return Facts.from_columns(columns, missions=codes, basins=basins, target_groups=cat.sector_groups())
