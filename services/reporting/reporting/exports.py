"""Exports for funders: CSV and XLSX from published (protected) tables, with a Youth Guarantee table.

Every figure in an export comes from a publication (``reporting.publication``):
a hidden cell is written ``c`` ("confidential"), as funders' statistics do,
and its ``protected`` column says why, as the JSON does: ``small`` (fewer
than 5) or ``complementary`` (hidden to protect another cell); empty for a
published figure. The content travels over RPC as text (CSV) or base64 (XLSX).
"""

from __future__ import annotations

import base64
import csv
import io

from openpyxl import Workbook

from kit.errors import ValidationFailed
from reporting import catalogue as cat
from reporting import suppression

FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
HEADER = ("scope", "indicator", "period", "breakdown", "category", "value", "protected")
YOUTH_HEADER = ("scope", "indicator", "period", "age_band", "value", "protected")
HIDDEN = "c"


def check_format(fmt) -> str:
    if fmt not in FORMATS:
        raise ValidationFailed({"format": [f"one of {sorted(FORMATS)}"]})
    return fmt


def _value(v):
    return HIDDEN if v is None else v


def records(scope: str, table: dict) -> list[tuple]:
    """Long-format rows of one published table (a Mission's or the sector's), each with why it is hidden."""
    out = []
    if "missions" in table:
        blocks = {**table["missions"], "sector": table["sector"]}
        reasons = {**table["protected"]["missions"], "sector": table["protected"]["sector"]}
    else:
        blocks, reasons = {scope: table}, {scope: table["protected"]}
    for name, block in blocks.items():
        why = reasons[name]
        out.append((name, table["indicator"], table["period"], "total", "", _value(block["total"]), why["total"] or ""))
        for category, v in block["cells"].items():
            out.append(
                (
                    name,
                    table["indicator"],
                    table["period"],
                    table["columns"],
                    category,
                    _value(v),
                    why["cells"][category] or "",
                )
            )
    return out


def below_threshold(scope: str, ind: str, period: str, columns: str | None) -> tuple:
    """The row of a table with fewer than 5 counted in all: nothing of it is published."""
    return (scope, ind, period, columns or "total", "", HIDDEN, suppression.PROTECTED)  # a table under the threshold


def youth_records(rows: list[tuple]) -> list[tuple]:
    """The Youth Guarantee table: headline indicators for people under 25."""
    return [
        (scope, ind, period, category, v, why)
        for scope, ind, period, breakdown, category, v, why in rows
        if breakdown == "age_band" and category == cat.YOUTH_GUARANTEE_AGE_BAND and ind in cat.HEADLINE
    ]


def render(fmt: str, rows: list[tuple], filename: str, mode: str) -> dict:
    youth = youth_records(rows)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
        writer.writerow(())
        writer.writerow(("youth_guarantee",) + YOUTH_HEADER)
        writer.writerows(("youth_guarantee",) + r for r in youth)
        return {
            "filename": f"{filename}.csv",
            "content_type": FORMATS["csv"],
            "encoding": "utf-8",
            "content": buffer.getvalue(),
        }
    book = Workbook()
    sheet = book.active
    sheet.title = "Indicators"
    sheet.append(HEADER)
    for r in rows:
        sheet.append(r)
    youth_sheet = book.create_sheet("Youth Guarantee")
    youth_sheet.append(YOUTH_HEADER)
    for r in youth:
        youth_sheet.append(r)
    definitions = book.create_sheet("Definitions")
    definitions.append(("indicator", "title", "counts", "definition", "catalogue version"))
    for ind in cat.CATALOGUE.for_mode(mode):
        definitions.append((ind.name, ind.title, ind.counts, ind.description, cat.VERSION))
    buffer = io.BytesIO()
    book.save(buffer)
    return {
        "filename": f"{filename}.xlsx",
        "content_type": FORMATS["xlsx"],
        "encoding": "base64",
        "content": base64.b64encode(buffer.getvalue()).decode(),
    }


def export_breakdowns(ind: cat.Indicator) -> list[str | None]:
    """What an export shows of each indicator: its total, and for the headline ones target group and age band."""
    if ind.headline:
        return [None, "target_group", "age_band", "gender"]
    return [None]
