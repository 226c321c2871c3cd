"""Exports for funders: CSV, XLSX and PDF from published (protected) tables, with the Youth Guarantee and ESF+
tables.

Every figure in an export comes from a publication (``reporting.publication``):
a hidden cell is written ``c`` ("confidential"), as funders' statistics do,
and its ``protected`` column carries the JSON's flag (``protected``, one marker
whatever the reason: ``suppression.PROTECTED``); empty for a published figure.
The content travels over RPC as text (CSV) or base64 (XLSX, PDF).
"""

from __future__ import annotations

import base64
import csv
import io

from openpyxl import Workbook

from kit.errors import ValidationFailed
from reporting import catalogue as cat
from reporting import suppression

FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
HEADER = ("scope", "indicator", "period", "breakdown", "category", "value", "protected")
YOUTH_HEADER = ("scope", "indicator", "period", "age_band", "value", "protected")
ESF_HEADER = ("scope", "indicator", "period", "breakdown", "category", "value", "protected")
HIDDEN = "c"
# The ESF+ participants and results a Mission reports to the European Social Fund: who entered and was
# accompanied, and what came of it, by gender and age band (the common indicators' breakdowns Passerelle has).
ESF_INDICATORS = ("entries", "people_accompanied", "first_contracts", "employed_after_6_months", "exits")
ESF_BREAKDOWNS = ("total", "gender", "age_band")


def check_format(fmt) -> str:
    if fmt not in FORMATS:
        raise ValidationFailed({"format": [f"one of {sorted(FORMATS)}"]})
    return fmt


def _value(v):
    return HIDDEN if v is None else v


def records(scope: str, table: dict) -> list[tuple]:
    """Long-format rows of one published table (a Mission's or the sector's), each with why it is hidden."""
    out = []
    if "lines" in table:  # two breakdowns: one block a row, named "<rows>=<row>", and the margin
        blocks = {f"{table['rows']}={r}": b for r, b in table["lines"].items()}
        blocks[f"{scope}:{table['rows']}=total"] = table["margin"]
        reasons = {f"{table['rows']}={r}": w for r, w in table["protected"]["lines"].items()}
        reasons[f"{scope}:{table['rows']}=total"] = table["protected"]["margin"]
    elif "missions" in table:
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


def esf_records(rows: list[tuple]) -> list[tuple]:
    """The ESF+ table: participants and results, in all and by gender and age band (the sector row only, at
    InterMire: the funder reads the sector's figure)."""
    sector = any(r[0] == "sector" for r in rows)
    return [r for r in rows if r[1] in ESF_INDICATORS and r[3] in ESF_BREAKDOWNS and (not sector or r[0] == "sector")]


def render(fmt: str, rows: list[tuple], filename: str, mode: str, title: str = "", earlier=None) -> dict:
    if fmt == "pdf":
        from reporting import pdf

        content = pdf.board_report(title or filename, rows, youth_records(rows), esf_records(rows), mode, earlier)
        return {
            "filename": f"{filename}.pdf",
            "content_type": FORMATS["pdf"],
            "encoding": "base64",
            "content": base64.b64encode(content).decode(),
        }
    youth = youth_records(rows)
    esf = esf_records(rows)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
        writer.writerow(())
        writer.writerow(("youth_guarantee",) + YOUTH_HEADER)
        writer.writerows(("youth_guarantee",) + r for r in youth)
        writer.writerow(())
        writer.writerow(("esf_plus",) + ESF_HEADER)
        writer.writerows(("esf_plus",) + r for r in esf)
        return {
            "filename": f"{filename}.csv",
            "content_type": FORMATS["csv"],
            "encoding": "utf-8",
            "content": buffer.getvalue(),
        }
    # write_only: rows streamed to the file as they come, no cell objects kept (a third of the time of a
    # workbook built in memory, for the same file)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Indicators")
    sheet.append(HEADER)
    for r in rows:
        sheet.append(r)
    youth_sheet = book.create_sheet("Youth Guarantee")
    youth_sheet.append(YOUTH_HEADER)
    for r in youth:
        youth_sheet.append(r)
    esf_sheet = book.create_sheet("ESF+")
    esf_sheet.append(ESF_HEADER)
    for r in esf:
        esf_sheet.append(r)
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
        own = [cat.EXIT_REASON] if cat.EXIT_REASON in ind.dimensions else []
        return [None, *own, "target_group", "age_band", "gender"]
    if ind.name in ESF_INDICATORS:
        return [None, "age_band", "gender"]
    return [None]
