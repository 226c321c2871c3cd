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


CROSS = {
    "indicator": "exits",
    "period": "2026",
    "rows": "quarter",
    "columns": "exit_reason",
    "lines": {
        "Q1": {"cells": {"durable_employment": 6, "moved": None}, "total": None},
        "Q2": {"cells": {"durable_employment": None, "moved": 0}, "total": 8},
    },
    "margin": {"cells": {"durable_employment": 14, "moved": None}, "total": 17},
    "protected": {
        "lines": {
            "Q1": {"cells": {"durable_employment": None, "moved": "protected"}, "total": "protected"},
            "Q2": {"cells": {"durable_employment": "protected", "moved": None}, "total": None},
        },
        "margin": {"cells": {"durable_employment": None, "moved": "protected"}, "total": None},
    },
}


def test_a_cross_table_of_two_breakdowns_keeps_its_rows_its_margin_and_its_protection():
    grid = figures._format(FakePage, figures.cross_grid(FakePage, CROSS), "r")
    assert grid.columns == [("durable_employment", "Emploi durable"), ("moved", "Déménagement")]
    assert [(code, label) for code, label, _, _ in grid.rows] == [("Q1", "1er trimestre"), ("Q2", "2e trimestre")]
    (_, _, q1, q1_total), (_, _, q2, q2_total) = grid.rows
    assert [c.protected for c in q1] == [False, True] and q1_total.protected
    assert [c.protected for c in q2] == [True, False] and q2_total.value == 8
    assert grid.margin[:2] == ("total", "Total") and grid.margin[3].value == 17
    assert 'data-cell="Q1:moved"' in q1[1].html and ">c</span>" in q1[1].html
    assert grid.protected_count == 4
    every = [c for _, _, cells, total in grid.rows + [grid.margin] for c in cells + [total]]
    assert all(c.protected or c.value is None or c.value == 0 or c.value >= 5 for c in every)
    assert figures._total_of(CROSS) == 17 and figures._total_of(SECTOR) == 30


def test_the_funders_tables_read_the_sector_row_or_a_missions_row():
    found = figures._block_of(SECTOR, "mirec")
    assert figures._funder_cell(found, "M").protected and figures._funder_cell(found, "F").value == 12
    sector = figures._block_of(SECTOR)
    assert figures._funder_cell(sector, None).value == 30
    assert figures._funder_cell(sector, "X") == figures.Cell(None, False)  # not in the table: a dash
    assert figures._funder_cell(None, "F") == figures.Cell(None, False)  # nothing publishable
    assert figures._block_of(SECTOR, "mirelux") is None


def test_the_analysts_tables_offer_every_sector_indicator_with_a_french_name():
    """The analyst's choice of indicators is the sector catalogue as the service describes it, conventions signed
    and commitments fulfilled included, each with its name on the page and the breakdowns it allows."""
    from reporting import catalogue as cat

    from web.views.director import HEADLINE

    page = SimpleNamespace(gateway=SimpleNamespace(get=lambda path: cat.CATALOGUE.describe("sector")))
    offered = figures.catalogue(page, "sector")
    assert {"conventions_signed", "commitments_fulfilled"} <= set(offered)
    assert offered["conventions_signed"] == offered["commitments_fulfilled"] == ("basin", "quarter")
    assert set(offered) <= set(HEADLINE)  # a name in words for each, never the code


def test_the_analysts_target_group_table_has_no_column_for_a_group_that_never_travels():
    """InterMire's answer lists only the groups that may travel (``reporting.catalogue.sector_groups``): the
    analyst's page lays out those columns, so no always-empty "Justiciable" column."""
    from reporting import catalogue

    codes = [*catalogue.sector_groups(), catalogue.NO_TARGET_GROUP]
    block = {"cells": dict.fromkeys(codes, 0), "total": 0}
    why = {"cells": dict.fromkeys(codes), "total": None}
    table = {
        "indicator": "people_accompanied",
        "period": "2026",
        "rows": "mission",
        "columns": "target_group",
        "missions": {"mirec": block},
        "sector": block,
        "protected": {"missions": {"mirec": why}, "sector": why},
    }
    labels = [label for _, label in figures.sector_grid(FakePage, table).columns]
    assert "Justiciable" not in labels and "justice_measure" not in dict(figures.sector_grid(FakePage, table).columns)
    assert "Sans public cible" in labels and len(labels) == len(codes)
