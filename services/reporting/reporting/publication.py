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


def additive(ind: cat.Indicator, columns: str | None) -> bool:
    """Acts over a partition add up; distinct persons and entities do not (one person, two Missions or groups)."""
    return ind.counts == cat.ACTS and columns != "target_group"


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


def _check_dimension(ind: cat.Indicator, columns: str | None, mode: str) -> None:
    if columns is not None and (columns not in ind.dimensions or (mode == "mission" and columns == "mission")):
        allowed = [d for d in ind.dimensions if mode == "sector" or d != "mission"]
        raise ValidationFailed({"columns": [f"{ind.name} is not broken down by {columns!r}; one of {allowed}"]})


def cache_key(facts: Facts, ind: cat.Indicator, period: Period, columns: str | None, mode: str) -> tuple:
    """What a published table depends on: indicator, period, breakdown, and the data version of the facts
    of the year it is protected with (its quarters and itself). Refuses what cannot be published."""
    publishable(period)
    _check_dimension(ind, columns, mode)
    year = linked(period)[-1]
    return (mode, ind.name, period.label, columns, data_version(facts, ind, year.first, year.last, (columns,)))


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


def mission_table(facts: Facts, ind: cat.Indicator, period: Period, columns: str | None, stats=None) -> dict:
    """The Mission's own publication of ``ind`` for ``period``, by ``columns`` (``stats``: the protection's cost)."""
    publishable(period)
    _check_dimension(ind, columns, "mission")
    periods = linked(period)
    values, _, labels = cube(facts, ind, periods, None, columns)
    work.check()
    own = values[:, 0, :]
    i = periods.index(period)
    _below_threshold(int(own[i, -1]))
    hidden = suppression.protect_mission(
        own, suppression.time_links(periods), additive=additive(ind, columns), stats=stats
    )
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


def sector_table(facts: Facts, ind: cat.Indicator, period: Period, columns: str | None, stats=None) -> dict:
    """InterMire's publication: Missions × ``columns``, sector totals counting each person once."""
    publishable(period)
    _check_dimension(ind, columns, "sector")
    periods = linked(period)
    values, missions, labels = cube(facts, ind, periods, "mission", columns)
    work.check()
    i = periods.index(period)
    _below_threshold(int(values[i, -1, -1]))
    hidden = suppression.protect_sector(
        values, suppression.time_links(periods), additive=additive(ind, columns), stats=stats
    )
    v, h = values[i], hidden[i]
    rows = {m: _block(v[r], h[r], labels) for r, m in enumerate(missions)}
    sector, sector_why = _block(v[-1], h[-1], labels)
    return {
        "indicator": ind.name,
        "period": period.label,
        "rows": "mission",
        "columns": columns,
        "missions": {m: shown for m, (shown, _) in rows.items()},
        "sector": sector,
        "protected": {"missions": {m: why for m, (_, why) in rows.items()}, "sector": sector_why},
        "protection": PROTECTION,
    }
