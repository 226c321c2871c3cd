"""The aggregation engine: every indicator recomputed from the coded fact log, with numpy.

``Facts`` holds the fact log's codes as arrays (loaded from ``fact`` in a
Mission, ``sector_fact`` at InterMire). ``table`` counts one indicator for
one period as a grid of two dimensions with its margins: acts are summed,
persons and entities are counted distinct, so a person followed by two
Missions counts once in every sector-wide margin, and a person in two target
groups counts once in the total.

Distinct counting sorts each indicator's facts by unit (person or entity)
once; a period is a boolean slice that keeps that order, and a stable radix
sort on the small cell codes then groups (cell, unit) pairs without another
full sort.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import SmallInteger, case, cast, select

from reporting import catalogue as cat
from reporting.catalogue import Indicator
from reporting.periods import Period

COLUMNS = ("kind", "day", "person", "entity", "tag", "gender", "age", "groups", "municipality")
_PERSON_KINDS = np.array([code for t, code in cat.TYPE_CODE.items() if t.startswith((cat.B, cat.M))])
_REGISTERED = cat.TYPE_CODE[cat.B + "registered.v1"]


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
    _subsets: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.month = (self.day // 10000) * 12 + (self.day // 100) % 100 - 1
        self._municipality_index = None  # sorted codes and each row's position, built on first use

    def _municipality(self):
        if self._municipality_index is None:
            self._municipality_index = np.unique(self.municipality, return_inverse=True)
        return self._municipality_index

    def __len__(self) -> int:
        return len(self.kind)

    @classmethod
    def from_columns(cls, columns: dict, missions=("",), basins=None) -> Facts:
        n = len(columns["kind"])
        arrays = {c: np.asarray(columns[c], dtype=np.int64) for c in COLUMNS}
        mission = np.asarray(columns.get("mission", np.zeros(n)), dtype=np.int16)
        return cls(**arrays, mission=mission, missions=tuple(missions), basins=tuple(basins or [""] * len(missions)))

    # -- subsets ---------------------------------------------------------
    def subset(self, ind: Indicator) -> np.ndarray:
        """Row numbers of the facts ``ind`` counts, sorted by its unit (person or entity)."""
        if ind.name not in self._subsets:
            mask = np.isin(self.kind, [cat.TYPE_CODE[t] for t in ind.types])
            if ind.tag is not None:
                mask &= self.tag == cat.TAG_CODE[ind.tag]
            rows = np.flatnonzero(mask)
            if ind.first_only:
                # Each person's first such fact in each Mission: sort by (person, mission, day), keep the first.
                order = np.lexsort((self.day[rows], self.mission[rows], self.person[rows]))
                rows = rows[order]
                p, m = self.person[rows], self.mission[rows]
                keep = np.ones(len(rows), dtype=bool)
                keep[1:] = (p[1:] != p[:-1]) | (m[1:] != m[:-1])
                rows = rows[keep]
            unit = self.unit(ind)
            if unit is not None:
                rows = rows[np.argsort(unit[rows], kind="stable")]
            self._subsets[ind.name] = rows
        return self._subsets[ind.name]

    def unit(self, ind: Indicator) -> np.ndarray | None:
        return {cat.PERSONS: self.person, cat.ENTITIES: self.entity}.get(ind.counts)

    # -- dimensions --------------------------------------------------------
    def labels(self, dimension: str | None) -> list[str]:
        if dimension is None:
            return ["all"]
        if dimension == "target_group":
            return [*cat.TARGET_GROUPS, cat.NO_TARGET_GROUP]
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
        raise KeyError(dimension)

    def codes(self, dimension: str | None, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row numbers, cell code) for ``rows``; a row in several target groups appears once per group."""
        if dimension is None:
            return rows, np.zeros(len(rows), dtype=np.int16)
        if dimension == "target_group":
            pos, c = expand_groups(self.groups[rows])
            return rows[pos], c
        if dimension == "gender":
            return rows, self.gender[rows].astype(np.int16)
        if dimension == "age_band":
            return rows, self.age[rows].astype(np.int16)
        if dimension == "municipality":
            return rows, self._municipality()[1][rows].astype(np.int16)
        if dimension == "mission":
            return rows, self.mission[rows]
        if dimension == "basin":
            labels = sorted(set(self.basins))
            of_mission = np.asarray([labels.index(b) for b in self.basins], dtype=np.int16)
            return rows, of_mission[self.mission[rows]]
        raise KeyError(dimension)


def expand_groups(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position, target-group code) for each (row, group) pair; a row with no group gets ``none``.

    Positions come out in ascending order: concatenating per group breaks the order of the rows, and
    a stable sort on the positions (ten sorted runs, merged) restores it for distinct counting.
    """
    positions, parts = [], []
    for bit in range(len(cat.TARGET_GROUPS) + 1):
        hit = np.flatnonzero((groups & (1 << bit)) != 0 if bit < len(cat.TARGET_GROUPS) else groups == 0)
        positions.append(hit)
        parts.append(np.full(len(hit), bit, dtype=np.int16))
    pos, code = np.concatenate(positions), np.concatenate(parts)
    order = np.argsort(pos, kind="stable")
    return pos[order], code[order]


def count_cells(codes: np.ndarray, units: np.ndarray | None, size: int) -> np.ndarray:
    """Per cell code: the number of rows (acts) or of distinct units; ``units`` must come sorted."""
    if units is None:
        return np.bincount(codes, minlength=size)
    if len(codes) == 0:
        return np.zeros(size, dtype=np.int64)
    order = np.argsort(codes, kind="stable")  # radix sort on int16; keeps the unit order in each cell
    c, u = codes[order], units[order]
    first = np.ones(len(c), dtype=bool)
    first[1:] = (c[1:] != c[:-1]) | (u[1:] != u[:-1])
    return np.bincount(c[first], minlength=size)


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


def period_rows(facts: Facts, ind: Indicator, period: Period) -> np.ndarray:
    rows = facts.subset(ind)
    month = facts.month[rows]
    return rows[(month >= period.first) & (month <= period.last)]


def table(
    facts: Facts, ind: Indicator, period: Period, rows_dim: str | None = None, columns_dim: str | None = None
) -> Table:
    rows = period_rows(facts, ind, period)
    unit = facts.unit(ind)
    r_labels, c_labels = facts.labels(rows_dim), facts.labels(columns_dim)
    R, C = len(r_labels), len(c_labels)

    def counted(dimension_codes, size):
        r, codes = dimension_codes
        return count_cells(
            codes.astype(np.int16 if size < 32768 else np.int32), None if unit is None else unit[r], size
        )

    r_rows, r_codes = facts.codes(rows_dim, rows)
    c_rows, c_codes = facts.codes(columns_dim, rows)
    if columns_dim == "target_group":
        # the grid expands rows per target group; the row dimension follows the expanded rows
        _, r_codes_expanded = facts.codes(rows_dim, c_rows)
        grid_rows, grid_codes = c_rows, r_codes_expanded.astype(np.int32) * C + c_codes
    elif rows_dim == "target_group":
        _, c_codes_expanded = facts.codes(columns_dim, r_rows)
        grid_rows, grid_codes = r_rows, r_codes.astype(np.int32) * C + c_codes_expanded
    else:
        grid_rows, grid_codes = rows, r_codes.astype(np.int32) * C + c_codes
    cells = counted((grid_rows, grid_codes), R * C).reshape(R, C)
    row_totals = counted((r_rows, r_codes), R)
    column_totals = counted((c_rows, c_codes), C)
    if unit is None:
        total = len(rows)
    else:
        u = unit[rows]
        total = int(len(u) and 1 + np.count_nonzero(u[1:] != u[:-1]))
    return Table(
        ind.name, period.label, rows_dim, columns_dim, r_labels, c_labels, cells, row_totals, column_totals, int(total)
    )


def breakdown(facts: Facts, ind: Indicator, period: Period, by: str | None) -> dict:
    """``{"total": n, "cells": {label: n}}`` for one dimension (or none)."""
    t = table(facts, ind, period, None, by)
    cells = {label: int(v) for label, v in zip(t.column_labels, t.column_totals, strict=True) if v}
    return {"total": t.total, "cells": cells if by else {}}


def every_figure(facts: Facts, indicators, periods: list[Period]) -> dict:
    """Every indicator × period × breakdown (none, and each of its dimensions) at once.

    One pass per (indicator, dimension, kind of period): the cell code is ``period × labels + value``,
    so all months (or quarters, or years) are counted by a single radix sort. Returns
    ``{(indicator, period, dimension): {"total": n, "cells": {label: n}}}``.
    """
    out = {}
    for kind in ("month", "quarter", "year"):
        chosen = [p for p in periods if p.kind == kind]
        if not chosen:
            continue
        span = {"month": 1, "quarter": 3, "year": 12}[kind]
        index = {p.first // span: i for i, p in enumerate(chosen)}
        for ind in indicators:
            rows = facts.subset(ind)
            bucket = facts.month[rows] // span
            lookup = np.full(int(bucket.max(initial=0)) + 2 - int(bucket.min(initial=0)), -1, dtype=np.int32)
            low = int(bucket.min(initial=0))
            for b, i in index.items():
                if 0 <= b - low < len(lookup):
                    lookup[b - low] = i
            which = lookup[bucket - low] if len(rows) else np.zeros(0, dtype=np.int32)
            keep = which >= 0
            rows, which = rows[keep], which[keep]
            unit = facts.unit(ind)
            for dimension in (None, *ind.dimensions):
                labels = facts.labels(dimension)
                if dimension == "target_group":
                    pos, values = expand_groups(facts.groups[rows])
                    r, w = rows[pos], which[pos]
                else:
                    (r, values), w = facts.codes(dimension, rows), which
                size = len(chosen) * len(labels)
                code = (w.astype(np.int32) * len(labels) + values).astype(np.int16 if size < 32768 else np.int32)
                counts = count_cells(code, None if unit is None else unit[r], size).reshape(len(chosen), -1)
                for i, p in enumerate(chosen):
                    cells = {label: int(v) for label, v in zip(labels, counts[i], strict=True) if v}
                    out[(ind.name, p.label, dimension)] = {
                        "cells": cells if dimension else {},
                        "total": int(counts[i].sum()) if dimension is None else None,
                    }
            for p in chosen:
                for dimension in ind.dimensions:
                    out[(ind.name, p.label, dimension)]["total"] = out[(ind.name, p.label, None)]["total"]
    return out


# -- loading -----------------------------------------------------------------
def load_mission(session, fact_table, mission: str, basin: str) -> Facts:
    """A Mission's facts; person facts take the person's dimensions from their intake fact."""
    data = fetch_codes(session, fact_table)
    columns = {c: data[:, i].copy() for i, c in enumerate(COLUMNS)}
    join_person_dimensions(columns)
    return Facts.from_columns(columns, missions=(mission,), basins=(basin,))


def join_person_dimensions(columns: dict) -> None:
    """Copy each person's intake dimensions (gender, age band, target groups, municipality) onto their facts."""
    kind, person = columns["kind"], columns["person"]
    intake = np.flatnonzero(kind == _REGISTERED)
    if not len(intake):
        return
    order = intake[np.argsort(person[intake], kind="stable")]
    keys = person[order]
    targets = np.flatnonzero(np.isin(kind, _PERSON_KINDS) & (person != 0))
    at = np.searchsorted(keys, person[targets])
    at[at == len(keys)] = 0
    found = keys[at] == person[targets]
    targets, source = targets[found], order[at[found]]
    for c in ("gender", "age", "groups", "municipality"):
        columns[c][targets] = columns[c][source]


def _green_psycopg() -> bool:
    """psycopg2 under psycogreen (a service process) cannot COPY; a batch process (replay, benchmark) can."""
    from psycopg2.extensions import get_wait_callback

    return get_wait_callback() is not None


# PostgreSQL's binary COPY of the coded columns: every row has the same layout (a field count, then a
# length and a big-endian integer per column, none NULL), so numpy reads it as a structured array.
_WIDTHS = {
    "kind": 2,
    "day": 4,
    "person": 8,
    "entity": 8,
    "tag": 2,
    "gender": 2,
    "age": 2,
    "groups": 4,
    "municipality": 4,
    "mission": 2,
}
_COPY_HEADER, _COPY_TRAILER = 19, 2


def _row_type(columns) -> np.dtype:
    return np.dtype([("fields", ">i2")] + [f for c in columns for f in ((f"{c}_len", ">i4"), (c, f">i{_WIDTHS[c]}"))])


def _parse_binary_copy(data, columns) -> np.ndarray:
    row = _row_type(columns)
    body = np.frombuffer(data, dtype=np.uint8)[_COPY_HEADER : len(data) - _COPY_TRAILER]
    if len(body) % row.itemsize:
        raise ValueError("unexpected binary COPY layout")
    rows = body.view(row)
    if not len(rows):
        return np.zeros((0, len(columns)), dtype=np.int64)
    if (rows["fields"] != len(columns)).any():
        raise ValueError("unexpected binary COPY layout")
    return np.stack([rows[c].astype(np.int64) for c in columns], axis=1)


def fetch_codes(session, fact_table, missions: list[str] | None = None) -> np.ndarray:
    """The coded columns as an ``n × 9`` int64 array, and a tenth with the row's index in ``missions``
    (-1 for a Mission not in the list) when ``missions`` is given.

    On PostgreSQL, ``COPY … TO STDOUT (FORMAT binary)`` read by numpy takes millions of rows several
    times faster than fetching Python tuples; a green (psycogreen) connection cannot COPY and fetches tuples.
    """
    selected = [getattr(fact_table, c) for c in COLUMNS]
    columns = COLUMNS
    if missions is not None:
        index = case({code: i for i, code in enumerate(missions)}, value=fact_table.mission, else_=-1)
        selected.append(cast(index, SmallInteger))
        columns = (*COLUMNS, "mission")
    query = select(*selected)
    connection = session.connection()
    if connection.dialect.name == "postgresql" and not _green_psycopg():
        sql = str(query.compile(connection, compile_kwargs={"literal_binds": True}))
        buffer = io.BytesIO()
        with connection.connection.dbapi_connection.cursor() as cursor:
            cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT binary)", buffer)
        return _parse_binary_copy(buffer.getbuffer(), columns)
    return np.asarray(session.execute(query).all(), dtype=np.int64).reshape(-1, len(columns))


def load_sector(session, fact_table, missions: list[tuple[str, str]]) -> Facts:
    """InterMire's facts in one read; a Mission missing from the registry is added from the facts themselves."""
    codes = [code for code, _ in missions]
    basins = [basin for _, basin in missions]
    data = fetch_codes(session, fact_table, codes) if codes else None
    if data is None or (data[:, -1] < 0).any():
        for code in session.scalars(select(fact_table.mission).distinct()).all():
            if code not in codes:
                codes.append(code)
                basins.append("unknown")
        data = fetch_codes(session, fact_table, codes)
    columns = {c: data[:, i] for i, c in enumerate(COLUMNS)}
    columns["mission"] = data[:, -1]
    return Facts.from_columns(columns, missions=codes, basins=basins)
