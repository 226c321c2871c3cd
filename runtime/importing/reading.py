"""Reading an import file into tables: CSV in any of the forms spreadsheets save it in, or an XLSX workbook.

CSV: the bytes are UTF-8 (with or without Excel's byte-order mark) or, when they are not valid UTF-8,
Windows-1252 (Latin-1 as Excel on Windows writes it; the notice says so). The separator is whichever of
``;`` (Excel in a French or Belgian locale), ``,`` or a tab the header line uses. XLSX: every sheet that is
not empty is a table. Row numbers are the file's own (the header is row 1), so a reason can be found in
the spreadsheet the Mission has open.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from runtime.importing.layout import COLUMNS, KIND_MARKERS, canonical, header_key

BOM = b"\xef\xbb\xbf"
# UTF-8 that was read as Latin-1 and saved again: "é" became "Ã©", "è" "Ã¨"…
MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf]")


class FileRefused(Exception):
    """The whole file (or one of its tables) cannot be imported: each problem with its row and column."""

    def __init__(self, problems: list[tuple[int, int, str]], where: str):
        super().__init__(where, problems)
        self.problems, self.where = problems, where


@dataclass
class Table:
    """One kind's rows: ``columns`` maps a column's French name to its position (0-based) in the file."""

    where: str  # the file, and the sheet for a workbook
    kind: str
    columns: dict[str, int]
    headers: list[str]
    rows: list[tuple[int, list[object]]]  # (row number in the file, cells)
    notices: list[str] = field(default_factory=list)


def read(path: Path) -> list[Table]:
    """The tables of ``path`` (``.xlsx`` or CSV), each checked for its columns; FileRefused otherwise."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _workbook(path)
    raw = path.read_bytes()
    content, notices = decode(raw)
    dialect = _separator(content.split("\n", 1)[0])
    rows = list(csv.reader(io.StringIO(content, newline=""), delimiter=dialect))
    if not rows:
        raise FileRefused([(1, 0, "the file is empty")], path.name)
    header: list[object] = list(rows[0])
    numbered: list[tuple[int, list[object]]] = [(n, list(cells)) for n, cells in enumerate(rows[1:], start=2)]
    table = _table(path.name, header, numbered)
    table.notices.extend(notices)
    if dialect != ",":
        table.notices.append(f"separator: '{dialect}'" if dialect != "\t" else "separator: tab")
    return [table]


def decode(raw: bytes) -> tuple[str, list[str]]:
    """The text of a CSV file and what was noticed about its encoding."""
    notices = []
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
        notices.append("encoding: UTF-8 with byte-order mark (Excel)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        notices.append(f"encoding: not UTF-8 (first at row {line}), read as Windows-1252 / Latin-1")
        return raw.decode("cp1252", errors="replace"), notices
    mangled = MOJIBAKE.search(text)
    if mangled:
        line = text[: mangled.start()].count("\n") + 1
        notices.append(
            f"encoding: row {line} holds '{mangled.group()}', UTF-8 once read as Latin-1 "
            "(é saved as Ã©): check its accents before importing"
        )
    return text, notices


def _separator(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _workbook(path: Path) -> list[Table]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise FileRefused([(0, 0, f"not a readable XLSX workbook ({type(exc).__name__})")], path.name) from None
    tables = []
    try:
        for sheet in book.worksheets:
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            numbered = [(n, cells) for n, cells in enumerate(rows[1:], start=2)]
            if rows and any(c not in (None, "") for c in rows[0]):
                tables.append(_table(f"{path.name} [{sheet.title}]", list(rows[0]), numbered))
    finally:
        book.close()
    if not tables:
        raise FileRefused([(1, 0, "the workbook has no sheet with a header row")], path.name)
    return tables


def _table(where: str, header: list[object], rows: list[tuple[int, list[object]]]) -> Table:
    keys = [header_key(h) for h in header]
    while keys and not keys[-1]:
        keys.pop()  # spreadsheets often keep empty columns at the end
    kinds = {KIND_MARKERS[k] for k in keys if k in KIND_MARKERS}
    if len(kinds) != 1:
        reason = (
            "cannot tell what the table holds: a people table has a 'niss' column, an employers table a 'bce' column"
            if not kinds
            else "a table holds one kind: people ('niss') or employers ('bce'), not both"
        )
        raise FileRefused([(1, 0, reason)], where)
    kind = kinds.pop()
    names = canonical(kind)
    problems: list[tuple[int, int, str]] = []
    columns: dict[str, int] = {}
    for position, key in enumerate(keys):
        shown = str(header[position] or "").strip()
        if not key:
            if any(position < len(cells) and cells[position] not in (None, "") for _, cells in rows):
                problems.append((1, position + 1, "a column without a header holds values"))
            continue
        name = names.get(key)
        if name is None:
            problems.append((1, position + 1, f"unknown column '{shown[:40]}'{_did_you_mean(key, names)}"))
        elif name in columns:
            problems.append((1, position + 1, f"column '{name}' appears twice (also column {columns[name] + 1})"))
        else:
            columns[name] = position
    for column in COLUMNS[kind]:
        if column.required and column.name not in columns:
            problems.append((1, 0, f"missing column '{column.name}' ({column.alias})"))
    if "commune" not in columns and "code_postal" not in columns:
        problems.append((1, 0, "missing column 'commune' (REFNIS code) or 'code_postal'"))
    if problems:
        raise FileRefused(problems, where)
    return Table(where, kind, columns, [str(h or "") for h in header], rows)


def _did_you_mean(key: str, names: dict[str, str]) -> str:
    from difflib import get_close_matches

    close = get_close_matches(key, list(names), n=1, cutoff=0.75)
    return f" (did you mean '{names[close[0]]}'?)" if close else ""
