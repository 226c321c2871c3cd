"""The board's PDF: a real PDF whose text (extracted with pypdf) shows the protected marks and no count from 1 to
4, the same hidden cells as the CSV export, and the key figures beside a year earlier."""

from __future__ import annotations

import base64
import csv
import io
import re

import pytest
from pypdf import PdfReader
from reporting import suppression
from reporting_events import sector_fact
from test_sector_service import Sector, people

# A figure as the PDF writes it (thousands joined by a non-breaking space), standing alone as a word.
FIGURE = re.compile(r"(?<![\w.\-/])\d{1,3}(?:\u00a0\d{3})*(?![\w\-/])")


@pytest.fixture
def sector(tmp_path):
    s = Sector(tmp_path)
    yield s
    s.store.engine.dispose()


def pdf_text(export: dict) -> str:
    assert export["content_type"] == "application/pdf" and export["filename"].endswith(".pdf")
    content = base64.b64decode(export["content"])
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_board_pdf_marks_protected_cells_and_shows_no_count_from_1_to_4(sector):
    few = [sector_fact("stage_changed", f"few{i}", "mirese", "2026-03") for i in range(3)]  # a Mission of three
    sector.feed(*people(160, 2026), *people(120, 2025, seed=5), *few)
    text = pdf_text(sector.service.sector_export("2026", "pdf"))
    assert "Chiffres clés - 2026" in text and "Garantie Jeunesse" in text and "FSE+" in text
    assert "secret statistique" in text
    figures = [int(f.replace("\u00a0", "")) for f in FIGURE.findall(text)]
    assert figures  # the tables are there
    small = [f for f in figures if 0 < f < suppression.THRESHOLD]
    assert small == [], f"counts from 1 to 4 in the PDF: {small}"
    # each Mission's total in the PDF is the CSV export's: a figure, or the mark c in both
    rows = list(csv.reader(io.StringIO(sector.service.sector_export("2026", "csv")["content"])))
    total = {r[0]: r[5] for r in rows[1:] if len(r) == 7 and r[1] == "people_accompanied" and r[3] == "total"}
    by_mission = text.split("Par Mission")[1].split("Garantie Jeunesse")[0]
    for mission, value in total.items():
        line = next(
            x for x in by_mission.splitlines() if x.startswith(mission.upper() if mission != "sector" else "Secteur")
        )
        assert line.split()[1] == value
    assert total["mirese"] == "c"  # three people: protected, in the PDF as in the CSV
    assert "\nPersonnes accompagnées c 120\n" in text or "\nPersonnes accompagnées 163 120\n" in text


def test_a_board_pdf_with_nothing_publishable_says_so(sector):
    sector.feed(*people(3, 2026))
    text = pdf_text(sector.service.sector_export("2026", "pdf"))
    assert "secret statistique" in text
    assert not [f for f in FIGURE.findall(text) if 0 < int(f.replace("\u00a0", "")) < suppression.THRESHOLD]
