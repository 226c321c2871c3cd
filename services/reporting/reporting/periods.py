"""Reporting periods: a month (``2026-03``), a quarter (``2026-Q1``) or a year (``2026``).

A period is a contiguous range of months, held as month numbers
(``year * 12 + month - 1``) so that facts can be sliced by comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kit.errors import ValidationFailed

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    kind: str  # month, quarter, year
    label: str
    first: int  # month number, inclusive
    last: int  # month number, inclusive

    @property
    def year(self) -> int:
        return self.first // 12

    def months(self) -> list[Period]:
        return [month(m) for m in range(self.first, self.last + 1)]

    def quarters(self) -> list[Period]:
        return [parse(f"{self.year}-Q{q}") for q in range(1, 5)] if self.kind == "year" else []

    def previous(self) -> Period:
        span = self.last - self.first + 1
        return _make(self.kind, self.first - span)


def month_number(year: int, month_: int) -> int:
    return year * 12 + month_ - 1


def month(number: int) -> Period:
    return Period("month", f"{number // 12:04d}-{number % 12 + 1:02d}", number, number)


def _make(kind: str, first: int) -> Period:
    if kind == "month":
        return month(first)
    if kind == "quarter":
        return Period("quarter", f"{first // 12:04d}-Q{first % 12 // 3 + 1}", first, first + 2)
    return Period("year", f"{first // 12:04d}", first, first + 11)


def parse(label: object, field: str = "period") -> Period:
    """The period a label names; ValidationFailed naming ``field`` otherwise."""
    if isinstance(label, str):
        if m := _MONTH.match(label):
            return month(month_number(int(m[1]), int(m[2])))
        if m := _QUARTER.match(label):
            return _make("quarter", month_number(int(m[1]), 3 * int(m[2]) - 2))
        if m := _YEAR.match(label):
            return _make("year", month_number(int(m[1]), 1))
    raise ValidationFailed({field: ["a month (2026-03), a quarter (2026-Q1) or a year (2026) is expected"]})


def linked(period: Period) -> list[Period]:
    """Every period published together with ``period``: its year's months, quarters and the year.

    Suppression is decided on this whole set at once, so that a cell hidden in
    one period cannot be recovered from the periods that contain or adjoin it.
    """
    year = _make("year", month_number(period.year, 1))
    return year.months() + year.quarters() + [year]
