"""Published tables: an indicator's figures with small cells protected.

A publication covers a quarter or a year. Its cells are protected together
with every period linked to it (the year's four quarters and the year), so a
cell hidden in one quarter cannot be recovered from the year or from the
adjacent quarters. Monthly figures are for the Mission's own staff only:
nearly every monthly cell of a breakdown is below the threshold.

A hidden cell is ``null`` in ``cells`` and ``total``, and is flagged
``"protected"`` in the parallel ``protected`` structure (same keys); a published
cell is ``null`` there. The flag does not say whether the cell is under the
threshold or hidden to protect another: that difference lets a reader pin small
cells (``suppression.PROTECTED``). ``protection`` gives the threshold and the
wording shown beside a protected cell.

The sector table is ``Mission × column``; each Mission row is protected
exactly as that Mission's own publication is, so that putting the two side by
side gives nothing away.
"""

from __future__ import annotations

import numpy as np

from kit import work
from kit.errors import ValidationFailed
from reporting import catalogue as cat
from reporting import suppression
from reporting.engine import Facts, data_version, tables
from reporting.periods import Period

SUPPRESSED = None  # how a hidden cell appears in JSON ("c" in CSV and XLSX, the funders' convention)
PROTECTION = {"threshold": suppression.THRESHOLD, "reasons": suppression.REASONS}


def publishable(period: Period) -> Period:
    if period.kind == "month":
        raise ValidationFailed(
            {
                "period": [
                    "published figures are by quarter or year; months are below the suppression threshold too often"
                ]
            }
        )
    return period


def linked(period: Period) -> list[Period]:
    year = Period("year", str(period.year), period.year * 12, period.year * 12 + 11)
    return year.quarters() + [year]


def additive(ind: cat.Indicator, columns: str | None, rows: str | None = None) -> bool:
    """Acts over a partition add up; distinct persons and entities do not (one person, two Missions or groups)."""
    return ind.counts == cat.ACTS and columns != "target_group" and rows != "target_group"


def cube(facts: Facts, ind: cat.Indicator, periods: list[Period], rows: str | None, columns: str | None):
    counted = tables(facts, ind, periods, rows, columns)  # the quarters in one pass, the year in another
    t0 = counted[0]
    R, C = len(t0.row_labels), len(t0.column_labels)
    out = np.zeros((len(periods), R + 1, C + 1), dtype=np.int64)
    for i, t in enumerate(counted):
        out[i, :R, :C] = t.cells
        out[i, :R, C] = t.row_totals
        out[i, R, :C] = t.column_totals
        out[i, R, C] = t.total
    return out, t0.row_labels, t0.column_labels


def _check_dimension(ind: cat.Indicator, columns: str | None, mode: str, field: str = "columns") -> None:
    """A breakdown the indicator allows; a Mission's own tables (and any second breakdown) are never by Mission."""
    if columns is not None and (columns not in ind.dimensions or (mode == "mission" and columns == "mission")):
        allowed = [d for d in ind.dimensions if mode == "sector" or d != "mission"]
        raise ValidationFailed({field: [f"{ind.name} is not broken down by {columns!r}; one of {allowed}"]})


def _check_rows(ind: cat.Indicator, rows: str | None, columns: str | None, mode: str) -> None:
    """Two breakdowns: ``rows`` beside ``columns``, never the same twice (the sector's Mission rows aside)."""
    if rows is None or (mode == "sector" and rows == "mission"):
        return
    if columns is None:
        raise ValidationFailed({"columns": ["a table with rows needs columns too"]})
    _check_dimension(ind, rows, "mission", "rows")
    if columns == "mission":
        raise ValidationFailed({"columns": ["the Missions are the rows of the sector's table, not its columns"]})
    if rows == columns:
        raise ValidationFailed({"rows": ["rows and columns are two different breakdowns"]})


def cache_key(
    facts: Facts, ind: cat.Indicator, period: Period, columns: str | None, mode: str, rows: str | None = None
) -> tuple:
    """What a published table depends on: indicator, period, breakdown(s), and the data version of the facts
    of the year it is protected with (its quarters and itself). Refuses what cannot be published."""
    publishable(period)
    _check_dimension(ind, columns, mode)
    _check_rows(ind, rows, columns, mode)
    if mode == "sector" and rows == "mission":
        rows = None  # the sector table's own rows
    year = linked(period)[-1]
    dims = (columns,) if rows is None else (rows, columns)
    return (mode, ind.name, period.label, rows, columns, data_version(facts, ind, year.first, year.last, dims))


def _cells(values, hidden, labels):
    return {label: (SUPPRESSED if h else int(v)) for label, v, h in zip(labels, values, hidden, strict=True)}


def _block(values, hidden, labels) -> tuple[dict, dict]:
    """One row of a publication (its cells, then its total last) and the reasons of its hidden cells."""
    why = suppression.reasons(values, hidden)
    shown = {"cells": _cells(values[:-1], hidden[:-1], labels), "total": SUPPRESSED if hidden[-1] else int(values[-1])}
    return shown, {"cells": dict(zip(labels, why[:-1].tolist(), strict=True)), "total": why[-1]}


def _below_threshold(total: int) -> None:
    if 0 < total < suppression.THRESHOLD:
        raise ValidationFailed(
            {
                "period": [
                    f"fewer than {suppression.THRESHOLD} counted in this table: below the "
                    "suppression threshold, nothing can be published"
                ]
            }
        )


def _one_way_hidden(facts: Facts, ind: cat.Indicator, periods: list[Period], dimension: str, mode: str, stats=None):
    """The cells a one-breakdown publication by ``dimension`` hides, ``[period][category + total]``: the
    Mission's own table, or the sector row of InterMire's. Memoised on ``facts`` (new facts reload them)."""
    key = (mode, ind.name, periods[-1].label, dimension)
    memo = facts._hidden
    if key not in memo:
        links = suppression.time_links(periods)
        if mode == "mission":
            values, _, _ = cube(facts, ind, periods, None, dimension)
            memo[key] = suppression.protect_mission(
                values[:, 0, :], links, additive=additive(ind, dimension), stats=stats
            )
        else:
            values, _, _ = cube(facts, ind, periods, "mission", dimension)
            memo[key] = suppression.protect_sector(values, links, additive=additive(ind, dimension), stats=stats)[
                :, -1, :
            ]
    return memo[key]


def protect_two_way(values: np.ndarray, rows_hidden, columns_hidden, links, *, additive: bool, **options):
    """A table of two breakdowns ``[period][row + total][column + total]`` whose margins are the two
    one-breakdown publications (``rows_hidden``: ``[period][row + total]``, ``columns_hidden``:
    ``[period][column + total]``, their hidden cells).

    The margins are published exactly as those publications are: a margin cell they hide stays hidden
    (``forced``), one they publish is known and never counted on to hide anything; the inside cells are
    then hidden as the audit needs, so that no small cell can be recovered from the table, its margins,
    or the two publications read beside it.
    """
    P, R1, C1 = values.shape
    forced = np.zeros(values.shape, dtype=bool)
    forced[:, R1 - 1, :] = columns_hidden
    forced[:, :, C1 - 1] |= rows_hidden
    known = np.zeros(values.shape, dtype=bool)
    known[:, R1 - 1, :] = True
    known[:, :, C1 - 1] = True
    known &= ~forced
    equations = suppression.cube_links(P, R1, C1, links)
    hidden = suppression.protect(
        values.reshape(-1), equations, additive=additive, known=known.reshape(-1), forced=forced.reshape(-1), **options
    )
    return hidden.reshape(values.shape)


def _two_way(facts, ind, period, rows, columns, mode, stats) -> dict:
    periods = linked(period)
    values, row_labels, column_labels = cube(facts, ind, periods, rows, columns)
    work.check()
    i = periods.index(period)
    _below_threshold(int(values[i, -1, -1]))
    rows_hidden = _one_way_hidden(facts, ind, periods, rows, mode, stats)
    work.check()
    columns_hidden = _one_way_hidden(facts, ind, periods, columns, mode, stats)
    work.check()
    hidden = protect_two_way(
        values,
        rows_hidden,
        columns_hidden,
        suppression.time_links(periods),
        additive=additive(ind, columns, rows),
        stats=stats,
    )
    v, h = values[i], hidden[i]
    lines = {label: _block(v[r], h[r], column_labels) for r, label in enumerate(row_labels)}
    margin, margin_why = _block(v[-1], h[-1], column_labels)
    return {
        "indicator": ind.name,
        "period": period.label,
        "rows": rows,
        "columns": columns,
        "lines": {label: shown for label, (shown, _) in lines.items()},
        "margin": margin,
        "protected": {"lines": {label: why for label, (_, why) in lines.items()}, "margin": margin_why},
        "protection": PROTECTION,
    }


def mission_table(
    facts: Facts, ind: cat.Indicator, period: Period, columns: str | None, stats=None, rows: str | None = None
) -> dict:
    """The Mission's own publication of ``ind`` for ``period``, by ``columns`` (``stats``: the protection's cost);
    with ``rows`` too, a table of the two breakdowns whose margins are the two one-breakdown publications."""
    publishable(period)
    _check_dimension(ind, columns, "mission")
    _check_rows(ind, rows, columns, "mission")
    if rows is not None:
        return _two_way(facts, ind, period, rows, columns, "mission", stats)
    periods = linked(period)
    values, _, labels = cube(facts, ind, periods, None, columns)
    work.check()
    own = values[:, 0, :]
    i = periods.index(period)
    _below_threshold(int(own[i, -1]))
    hidden = suppression.protect_mission(
        own, suppression.time_links(periods), additive=additive(ind, columns), stats=stats
    )
    facts._hidden[("mission", ind.name, periods[-1].label, columns)] = hidden  # a cross table's margin, later
    shown, why = _block(own[i], hidden[i], labels)
    if not columns:
        shown["cells"], why["cells"] = {}, {}
    return {
        "indicator": ind.name,
        "period": period.label,
        "columns": columns,
        **shown,
        "protected": why,
        "protection": PROTECTION,
    }


def sector_table(
    facts: Facts, ind: cat.Indicator, period: Period, columns: str | None, stats=None, rows: str | None = "mission"
) -> dict:
    """InterMire's publication: Missions × ``columns``, sector totals counting each person once; with other
    ``rows`` (a second breakdown), the sector's table of the two, its margins the sector's own rows of the
    two one-breakdown tables."""
    publishable(period)
    _check_dimension(ind, columns, "sector")
    _check_rows(ind, rows, columns, "sector")
    if rows is not None and rows != "mission":
        return _two_way(facts, ind, period, rows, columns, "sector", stats)
    periods = linked(period)
    values, missions, labels = cube(facts, ind, periods, "mission", columns)
    work.check()
    i = periods.index(period)
    _below_threshold(int(values[i, -1, -1]))
    hidden = suppression.protect_sector(
        values, suppression.time_links(periods), additive=additive(ind, columns), stats=stats
    )
    facts._hidden[("sector", ind.name, periods[-1].label, columns)] = hidden[:, -1, :]  # a cross table's margin
    v, h = values[i], hidden[i]
    rows_ = {m: _block(v[r], h[r], labels) for r, m in enumerate(missions)}
    sector, sector_why = _block(v[-1], h[-1], labels)
    return {
        "indicator": ind.name,
        "period": period.label,
        "rows": "mission",
        "columns": columns,
        "missions": {m: shown for m, (shown, _) in rows_.items()},
        "sector": sector,
        "protected": {"missions": {m: why for m, (_, why) in rows_.items()}, "sector": sector_why},
        "protection": PROTECTION,
    }
