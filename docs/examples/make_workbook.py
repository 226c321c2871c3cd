"""Writes dossiers.xlsx from the two CSV examples: one sheet per kind, dates as real spreadsheet dates.

.venv/bin/python docs/examples/make_workbook.py
"""

import csv
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
DATE_COLUMNS = {"date_naissance", "date_accueil", "date_debut"}

book = Workbook()
book.remove(book.active)
for name, sheet in (("entreprises.csv", "Entreprises"), ("personnes.csv", "Personnes")):
    with open(HERE / name, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    ws = book.create_sheet(sheet)
    ws.append(rows[0])
    for row in rows[1:]:
        cells: list[object] = []
        for column, value in zip(rows[0], row, strict=True):
            if column in DATE_COLUMNS and value:
                day, month, year = value.replace(".", "/").split("/")
                cells.append(datetime(int(year), int(month), int(day)))
            else:
                cells.append(value or None)
        ws.append(cells)
book.save(HERE / "dossiers.xlsx")
