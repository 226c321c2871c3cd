"""Counting kernels of the engine: acts summed, persons and entities counted distinct, per cell code.

Pure numpy over arrays that are already aligned: a cell code per row and,
for distinct counting, the dense rank of the row's unit (person or entity,
``0 … units - 1``). A (unit, cell) pair is one integer ``rank * size + code``;
sorting those integers groups the pairs, and each pair counts once.

The engine keeps every indicator's rows ordered by unit (within each year),
so these keys arrive nearly sorted and numpy's stable sort (timsort on
64-bit integers) runs over them in close to linear time.
"""

from __future__ import annotations

import numpy as np

from reporting import catalogue as cat

_GROUPS = len(cat.TARGET_GROUPS)


def _group_tables():
    """For every target-group mask: how many (row, group) pairs it expands to, and their codes in order."""
    masks = range(1 << _GROUPS)
    codes = [[bit for bit in range(_GROUPS) if m & (1 << bit)] or [_GROUPS] for m in masks]
    count = np.array([len(c) for c in codes], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    flat = np.array([bit for c in codes for bit in c], dtype=np.int16)
    return count, start, flat


_GROUP_COUNT, _GROUP_START, _GROUP_CODES = _group_tables()


def expand_groups(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position, target-group code) for each (row, group) pair; a row with no group gets ``none``.

    Positions come out in ascending order, each row's groups by ascending code, without a sort.
    """
    groups = np.asarray(groups)
    if len(groups) and (groups.min() < 0 or groups.max() >= len(_GROUP_COUNT)):
        raise ValueError("target-group mask out of range")
    count = _GROUP_COUNT[groups]
    pos = np.repeat(np.arange(len(groups)), count)
    # the k-th pair of a row is that row's mask's k-th code: its offset within the row, plus the mask's start
    offset = np.arange(len(pos)) - np.repeat(np.cumsum(count) - count, count)
    return pos, _GROUP_CODES[_GROUP_START[groups[pos]] + offset]


def distinct_keys(keys: np.ndarray) -> np.ndarray:
    """The distinct values of ``keys`` in ascending order (``keys`` is sorted in place)."""
    if len(keys) == 0:
        return keys
    keys.sort(kind="stable")
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return keys[first]


def count_cells(codes: np.ndarray, ranks: np.ndarray | None, size: int) -> np.ndarray:
    """Per cell code ``0 … size - 1``: the number of rows (acts, ``ranks`` None) or of distinct units."""
    if ranks is None:
        return np.bincount(codes, minlength=size)
    keys = distinct_keys(ranks.astype(np.int64) * size + codes)
    return np.bincount(keys % size, minlength=size)


def count_grid(ranks: np.ndarray, which: np.ndarray, r: np.ndarray, c: np.ndarray, P: int, R: int, C: int):
    """Distinct units per (period, row, column), per (period, row), per (period, column) and per period.

    One sort of the (unit, period, row, column) keys gives the cells; the margins are projections of
    the distinct keys (a unit counts once in a row total however many of the row's columns it is in):
    ``(unit, period, row)`` keeps the keys' order, so only the column margin needs another sort.
    """
    keys = distinct_keys(((ranks.astype(np.int64) * P + which) * R + r) * C + c)
    cells = np.bincount(keys % (P * R * C), minlength=P * R * C).reshape(P, R, C)
    cell = keys % (R * C)
    unit_period = keys // (R * C)

    def projected(sorted_keys, size):
        if len(sorted_keys) == 0:
            return np.zeros(size, dtype=np.int64)
        first = np.empty(len(sorted_keys), dtype=bool)
        first[0] = True
        np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first[1:])
        return np.bincount(sorted_keys[first] % size, minlength=size)

    row_totals = projected(unit_period * R + cell // C, P * R).reshape(P, R)
    if R == 1:
        column_totals = cells[:, 0, :]
    else:
        column_totals = np.bincount(distinct_keys(unit_period * C + cell % C) % (P * C), minlength=P * C)
        column_totals = column_totals.reshape(P, C)
    totals = projected(unit_period, P)
    return cells, row_totals, column_totals, totals
