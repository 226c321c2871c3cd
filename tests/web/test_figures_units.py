"""The figures pages' layout without a platform: a published table as rows, columns and margins with its
protected cells, the charts' text alternatives and protection marks, and the periods compared."""

import re
from types import SimpleNamespace

from web import charts
from web.views import figures

SECTOR = {
    "indicator": "people_accompanied",
    "period": "2026",
    "rows": "mission",
    "columns": "gender",
    "missions": {
        "mirec": {"cells": {"F": 12, "M": None}, "total": None},
        "mirena": {"cells": {"F": 7, "M": 9}, "total": 16},
    },
    "sector": {"cells": {"F": 19, "M": 11}, "total": 30},
    "protected": {
        "missions": {
            "mirec": {"cells": {"F": None, "M": "protected"}, "total": "protected"},
            "mirena": {"cells": {"F": None, "M": None}, "total": None},
        },
        "sector": {"cells": {"F": None, "M": None}, "total": None},
    },
}


class FakePage:
    """What the layout reads of a page: its language, its gettext, the Missions' names (a fake: unit test)."""

    session = SimpleNamespace(lang="fr")
    app = SimpleNamespace(missions=[("mirec", "MIRE Charleroi"), ("mirena", "MIRENA")])

    @staticmethod
    def gettext(message):
        return message


def test_a_sector_table_keeps_every_cell_its_protection_and_its_margins():
    grid = figures.sector_grid(FakePage, SECTOR)
    assert grid.columns == [("F", "Femme"), ("M", "Homme")]
    (code, mirec, cells, total), (_, mirena, cells2, total2) = grid.rows
    assert (code, mirec) == ("mirec", "MIRE Charleroi") and [c.value for c in cells] == [12, None]
    assert [c.protected for c in cells] == [False, True] and total.protected
    assert total2.value == 16 and not total2.protected
    assert grid.margin[:2] == ("sector", "Secteur") and grid.margin[3].value == 30
    assert grid.protected_count == 2


def test_no_count_from_1_to_4_can_be_laid_out_as_published():
    grid = figures.sector_grid(FakePage, SECTOR)
    every = [c for _, _, cells, total in grid.rows + [grid.margin] for c in cells + [total]]
    assert all(c.protected or c.value is None or c.value == 0 or c.value >= 5 for c in every)


def test_bars_mark_a_protected_figure_without_colour_and_describe_themselves():
    svg = str(charts.bars([("Femme", 19), ("Homme", None)], "Personnes", "2 catégories, dont 1 protégée"))
    assert 'role="img"' in svg and "<title" in svg and "2 catégories, dont 1 protégée" in svg
    assert 'class="bar protected"' in svg and re.search(r">c</text>", svg)  # hatched, and the letter
    assert ">19</text>" in svg


def test_two_charts_on_a_page_never_share_an_id():
    a, b = str(charts.bars([("x", 5)], "a", "a")), str(charts.line([("Q1", 5), ("Q2", 6)], "b", "b"))
    ids = re.findall(r'id="([^"]+)"', a + b)
    assert len(ids) == len(set(ids))


def test_a_protected_quarter_breaks_the_line():
    svg = str(charts.line([("Q1", 10), ("Q2", None), ("Q3", 12), ("Q4", 14)], "t", "d"))
    assert svg.count("<polyline") == 1  # Q3-Q4 only: Q1 alone is a point
    assert svg.count("<circle") == 3


def test_the_period_a_year_earlier():
    assert figures.year_earlier("2026") == "2025"
    assert figures.year_earlier("2026-Q3") == "2025-Q3"
    assert figures.quarters("2026") == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]


def test_each_cell_is_written_once_with_its_key_its_mark_and_its_reason():
    grid = figures._format(FakePage, figures.sector_grid(FakePage, SECTOR), "moins de 5 personnes")
    (_, _, cells, total), _ = grid.rows
    assert cells[0].html == '<td class="num" data-cell="mirec:F">12</td>'
    assert 'class="num protected" data-cell="mirec:M"' in cells[1].html
    assert 'title="moins de 5 personnes"' in cells[1].html and ">c</span>" in cells[1].html
    assert 'data-cell="mirec:"' in total.html and "protected" in total.html
    assert 'data-cell="sector:"' in grid.margin[3].html


def test_a_missions_publication_keys_its_categories_and_its_total():
    table = {
        "indicator": "people_accompanied",
        "period": "2026",
        "columns": "gender",
        "cells": {"F": 7, "M": None},
        "total": 9,
        "protected": {"cells": {"F": None, "M": "protected"}, "total": None},
    }
    grid = figures._format(FakePage, figures.mission_grid(FakePage, table), "r")
    assert [cells[0].html.split('"')[3] for _, _, cells, _ in grid.rows] == [":F", ":M"]
    assert 'data-cell=":"' in grid.margin[3].html and ">9<" in grid.margin[3].html
