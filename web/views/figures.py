"""Figures as people read them: InterMire's sector pages and a Mission director's tables, each indicator of
the catalogue as a table with its margins and as a chart, protected cells marked, and the exports.

Everything comes from the gateway's reporting routes with the user's token: the analyst reads
``/intermire/indicators/<name>`` (Missions × one breakdown, small cells already hidden by the reporting
service) and ``/intermire/exports``; the director reads the Mission's own publication
(``/indicators/<name>/publication``) and ``/exports``. Nothing is computed here but layout.

Protected cells. The reporting service flags every hidden cell ``"protected"`` with one wording: it does
not say whether the cell is under 5 or hidden so that another cannot be recomputed, because saying which
lets a reader pin the small ones (services/reporting/README.md). These pages therefore show one mark and
one legend for both, and say so; they cannot tell the two apart honestly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from web import charts
from web.app import municipality_name, view
from web.gateway import GatewayError
from web.i18n import N_
from web.labels import EXIT_REASONS, GENDERS, TARGET_GROUPS
from web.views.director import HEADLINE

PERIOD = re.compile(r"^[0-9]{4}(-Q[1-4])?$")  # published figures are by quarter or year
# The four figures a board reads first (the catalogue's headline indicators).
HEADLINE_FIGURES = ("people_accompanied", "first_contracts", "employed_after_6_months", "exits")
BREAKDOWNS = {
    "exit_reason": N_("Raison de sortie"),
    "quarter": N_("Trimestre"),
    "target_group": N_("Public cible"),
    "age_band": N_("Tranche d'âge"),
    "gender": N_("Genre"),
    "municipality": N_("Commune"),
    "basin": N_("Bassin"),
    "mission": N_("Mission"),
}
AGE_BANDS = {"under_25": N_("Moins de 25 ans"), "25_to_49": N_("25 à 49 ans"), "50_plus": N_("50 ans et plus")}
QUARTERS = {"Q1": N_("1er trimestre"), "Q2": N_("2e trimestre"), "Q3": N_("3e trimestre"), "Q4": N_("4e trimestre")}
# The funders' tables: ESF+ participants and results by gender and age band; the Youth Guarantee's under 25.
ESF_INDICATORS = ("entries", "people_accompanied", "first_contracts", "employed_after_6_months", "exits")
ESF_CATEGORIES = (("gender", ("F", "M", "X", "unknown")), ("age_band", ("under_25", "25_to_49", "50_plus", "unknown")))
UNKNOWN = N_("Non renseigné")
PROTECTED_REASON = N_(
    "Secret statistique : moins de 5 personnes, ou case masquée pour qu'une autre ne puisse pas être recalculée"
)


def catalogue(page, mode: str) -> dict[str, tuple[str, ...]]:
    """Each indicator of the catalogue the user may read, with the breakdowns it allows (the service's own list).

    The sector table's rows are the Missions, so ``mission`` is not offered as its columns; a Mission's own
    table has one Mission and one basin, so neither is offered there."""
    found = page.gateway.get("/intermire/indicators" if mode == "sector" else "/indicators")["indicators"]
    dropped = {"mission"} if mode == "sector" else {"mission", "basin"}
    return {i["name"]: tuple(d for d in i["dimensions"] if d not in dropped) for i in found}


def year_earlier(period: str) -> str:
    return str(int(period[:4]) - 1) + period[4:]


def quarters(period: str) -> list[str]:
    return [f"{period[:4]}-Q{q}" for q in range(1, 5)]


@dataclass
class Cell:
    value: int | None
    protected: bool
    html: str = ""  # the cell as the page writes it (``_format``)


@dataclass
class Grid:
    """A table as shown: rows × columns with the row totals (last column) and the column totals (last row)."""

    columns: list[tuple[str, str]]  # (code, label)
    rows: list[tuple[str, str, list[Cell], Cell]] = field(default_factory=list)  # (code, label, cells, total)
    margin: tuple[str, str, list[Cell], Cell] | None = None

    @property
    def protected_count(self) -> int:
        lines = self.rows + ([self.margin] if self.margin else [])
        every = [c for _, _, cells, total in lines for c in cells + [total]]
        return sum(c.protected for c in every)


def _cell(block: dict, why: dict, code: str | None) -> Cell:
    if code is None:
        return Cell(block.get("total"), why.get("total") is not None)
    return Cell(block["cells"].get(code), (why.get("cells") or {}).get(code) is not None)


def _value_label(page, dimension: str, code: str) -> str:
    g = page.gettext
    if code in ("unknown", "none", ""):
        return g("Sans public cible") if dimension == "target_group" and code == "none" else g(UNKNOWN)
    if dimension == "target_group":
        return g(TARGET_GROUPS.get(code, code))
    if dimension == "age_band":
        return g(AGE_BANDS.get(code, code))
    if dimension == "gender":
        return g(GENDERS.get(code, code))
    if dimension == "quarter":
        return g(QUARTERS.get(code, code))
    if dimension == "exit_reason":
        return g(EXIT_REASONS.get(code, code))
    if dimension == "municipality":
        return municipality_name(code)
    if dimension == "mission":
        # "Mission Régionale pour l'Emploi de Charleroi" reads "MIRE de Charleroi" in a table's rows
        return dict(page.app.missions).get(code, code.upper()).replace("Mission Régionale pour l'Emploi", "MIRE")
    return code


def sector_grid(page, table: dict) -> Grid:
    dimension = table["columns"]
    codes = list(table["sector"]["cells"])
    grid = Grid([(c, _value_label(page, dimension, c)) for c in codes])
    why = table["protected"]
    for code, block in table["missions"].items():
        w = why["missions"][code]
        grid.rows.append(
            (code, _value_label(page, "mission", code), [_cell(block, w, c) for c in codes], _cell(block, w, None))
        )
    s, w = table["sector"], why["sector"]
    grid.margin = ("sector", page.gettext("Secteur"), [_cell(s, w, c) for c in codes], _cell(s, w, None))
    return grid


def cross_grid(page, table: dict) -> Grid:
    """A table of two breakdowns (``rows`` × ``columns``), its margin row last, as published."""
    rows_dim, dimension = table["rows"], table["columns"]
    codes = list(table["margin"]["cells"])
    grid = Grid([(c, _value_label(page, dimension, c)) for c in codes])
    why = table["protected"]
    for code, block in table["lines"].items():
        w = why["lines"][code]
        grid.rows.append(
            (code, _value_label(page, rows_dim, code), [_cell(block, w, c) for c in codes], _cell(block, w, None))
        )
    m, w = table["margin"], why["margin"]
    grid.margin = ("total", page.gettext("Total"), [_cell(m, w, c) for c in codes], _cell(m, w, None))
    return grid


def _total_of(table: dict) -> int | None:
    """A published table's grand total (None when protected)."""
    if "lines" in table:
        return table["margin"]["total"]
    return table["sector"]["total"] if "sector" in table else table["total"]


def mission_grid(page, table: dict) -> Grid:
    """The Mission's publication by one breakdown, one category a row, the total as the margin."""
    dimension = table["columns"]
    why = table["protected"]
    grid = Grid([("value", page.gettext("Nombre"))])
    for code in table["cells"]:
        cell = _cell(table, why, code)
        grid.rows.append((code, _value_label(page, dimension, code), [cell], cell))
    grid.margin = ("total", page.gettext("Total"), [_cell(table, why, None)], _cell(table, why, None))
    return grid


def _published(call):
    """A published table, or None when nothing of it can be published (the reporting service's 422)."""
    try:
        return call()
    except GatewayError as exc:
        if exc.status != 422:
            raise
        return None


def _choice(page, name: str, allowed, default: str) -> str:
    value = page.request.args.get(name, "")
    return value if value in allowed else default


def _period(page) -> str:
    value = page.request.args.get("periode", "").strip()
    return value if PERIOD.match(value) else str(date.today().year)


def _number(page, value) -> str:
    from web.i18n import format_number

    return format_number(value, page.session.lang)


def _format(page, grid: Grid, reason: str) -> Grid:
    """Each cell's ``<td>``, written here rather than by a template macro per cell: a table by municipality has
    thousands of cells, and Babel's number formatting (once per distinct value here) and a macro call per cell
    were most of the page's time. The same markup as ``figures/_cell.html``'s ``figure``."""
    done: dict[int, str] = {}
    protected = escape(page.gettext("protégé"))
    hover = escape(reason)
    lines = grid.rows + ([grid.margin] if grid.margin else [])
    single = len(grid.columns) == 1  # a Mission's publication: categories as rows, keyed ":category"
    for line in lines:
        row, _, cells, total = line
        if single:  # a row's one cell is its total; the margin's total is the table's
            keyed = [(total, ":")] if line is grid.margin else [(cells[0], f":{row}")]
        else:
            keyed = [*zip(cells, [f"{row}:{code}" for code, _ in grid.columns], strict=True), (total, f"{row}:")]
        for cell, key in keyed:
            k = escape(key)
            if cell.protected:
                cell.html = Markup(
                    f'<td class="num protected" data-cell="{k}"><span title="{hover}" aria-hidden="true">c</span>'
                    f'<span class="visually-hidden">{protected}</span></td>'
                )
            elif cell.value is None:
                cell.html = Markup(
                    f'<td class="num" data-cell="{k}"><span aria-hidden="true">—</span>'
                    f'<span class="visually-hidden">{escape(page.gettext("rien de publiable"))}</span></td>'
                )
            else:
                if cell.value not in done:
                    done[cell.value] = escape(_number(page, cell.value))
                cell.html = Markup(f'<td class="num" data-cell="{k}">{done[cell.value]}</td>')
    return grid


def _charts(page, grid: Grid, quarter_totals, title: str, dimension_label: str):
    """The bars of the table's margin (the sector's row, or the Mission's categories) and the line of the year's
    quarters; each with a text alternative saying what it shows (the figures themselves are in the table)."""
    mark = "c"
    fmt = lambda v: _number(page, v)  # noqa: E731
    items = [(label, cell.value) for (code, label), cell in zip(grid.columns, grid.margin[2], strict=True)]
    if len(grid.columns) == 1:  # a Mission's publication: its categories are the rows
        items = [(label, cells[0].value) for _, label, cells, _ in grid.rows]
    bar = None
    if items:
        desc = page.gettext("%(t)s par %(d)s : %(n)s catégories, dont %(p)s protégées ; chiffres dans le tableau.")
        values = {"t": title, "d": dimension_label.lower(), "n": len(items), "p": sum(v is None for _, v in items)}
        bar = charts.bars(items, f"{title} — {dimension_label}", desc % values, fmt, mark)
    trend = None
    if quarter_totals and any(v is not None for _, v, _ in quarter_totals):
        said = {"c": page.gettext("protégé"), "—": page.gettext("rien de publiable")}
        described = ", ".join(f"{q} : {fmt(v) if v is not None else said[m]}" for q, v, m in quarter_totals)
        trend = charts.line(quarter_totals, page.gettext("%(t)s par trimestre") % {"t": title}, described, fmt, mark)
    return bar, trend


def _render_table_page(page, *, mode, name, period, columns, table, quarters_, indicators, rows=None):
    title = page.gettext(HEADLINE.get(name, name))
    grid = None
    if table is not None:
        if "lines" in table:
            grid = cross_grid(page, table)
        else:
            grid = sector_grid(page, table) if mode == "sector" else mission_grid(page, table)
        grid = _format(page, grid, page.gettext(PROTECTED_REASON))
    dimension_label = page.gettext(BREAKDOWNS[columns]) if columns else page.gettext("Total")
    if rows:
        rows_label = page.gettext(BREAKDOWNS[rows])
    else:
        rows_label = page.gettext("Mission") if mode == "sector" else None
    first = [("", page.gettext("Missions"))] if mode == "sector" else [("", page.gettext("Aucune (une ventilation)"))]
    bar, trend = _charts(page, grid, quarters_, title, dimension_label) if grid else (None, None)
    return page.render(
        "figures/table.html",
        mode=mode,
        name=name,
        title=title,
        period=period,
        columns=columns,
        dimension_label=dimension_label,
        grid=grid,
        bar=bar,
        trend=trend,
        indicators=[(i, page.gettext(HEADLINE.get(i, i))) for i in indicators],
        breakdowns=[(d, page.gettext(BREAKDOWNS.get(d, d))) for d in indicators[name]],
        rows=rows,
        rows_label=rows_label,
        row_choices=first + [(d, page.gettext(BREAKDOWNS.get(d, d))) for d in indicators[name] if d != columns],
        cross=mode == "sector" or rows is not None,
        reason=page.gettext(PROTECTED_REASON),
        funders_url=page.url("sector_funders" if mode == "sector" else "mission_funders"),
        export_url=page.url("sector_download" if mode == "sector" else "mission_download"),
        table_url=page.url("sector_table" if mode == "sector" else "mission_table"),
    )


def _quarter_totals(get, period: str, mode: str):
    """The figure's total for each quarter of a year, for the line: ``(quarter, value, mark)``, the mark
    "c" for a protected total and "—" for a quarter with nothing publishable. None for a quarter period."""
    if "-Q" in period:
        return None
    totals = []
    for q in quarters(period):
        found = _published(lambda q=q: get(q))
        if found is None:
            totals.append((q[5:], None, "—"))
            continue
        totals.append((q[5:], _total_of(found), "c"))
    return totals


# -- InterMire ---------------------------------------------------------------------------------------


@view("/intermire", "sector_dashboard")
def sector_dashboard(page):
    """The sector's headline for a period beside the same period a year earlier, per Mission."""
    period = _period(page)
    before = year_earlier(period)
    figures = []
    for name in HEADLINE_FIGURES:
        now = _published(lambda n=name: page.gateway.get(f"/intermire/indicators/{n}", period=period, columns="basin"))
        then = _published(lambda n=name: page.gateway.get(f"/intermire/indicators/{n}", period=before, columns="basin"))
        missions = sorted(set((now or {}).get("missions", {})) | set((then or {}).get("missions", {})))
        rows = []
        for code in missions:
            rows.append(
                (
                    _value_label(page, "mission", code),
                    _total(now, code),
                    _total(then, code),
                )
            )
        figures.append((name, page.gettext(HEADLINE[name]), _total(now), _total(then), rows))
    return page.render(
        "figures/sector_dashboard.html",
        period=period,
        before=before,
        figures=figures,
        exits=exits_by_reason(
            page,
            lambda p: page.gateway.get("/intermire/indicators/exits", period=p, columns="exit_reason"),
            period,
            before,
        ),
        reason=page.gettext(PROTECTED_REASON),
    )


def exits_by_reason(page, get, period: str, before: str) -> list[tuple[str, Cell, Cell]]:
    """Exits by reason for a period and a year earlier: ``(reason, now, then)``, the sector's row at InterMire,
    the Mission's publication for its director; the total last."""
    now, then = _published(lambda: get(period)), _published(lambda: get(before))
    a, b = _block_of(now), _block_of(then)
    codes = list(dict.fromkeys([*(a[0]["cells"] if a else {}), *(b[0]["cells"] if b else {})]))
    rows = [(_value_label(page, "exit_reason", c), _funder_cell(a, c), _funder_cell(b, c)) for c in codes]
    if rows:
        rows.append((page.gettext("Total"), _funder_cell(a, None), _funder_cell(b, None)))
    return rows


def _total(table: dict | None, mission: str | None = None) -> Cell:
    if table is None:
        return Cell(None, False)  # nothing publishable: shown as a dash, not as protected
    if mission is None:
        return Cell(table["sector"]["total"], table["protected"]["sector"]["total"] is not None)
    block = table["missions"].get(mission)
    if block is None:
        return Cell(None, False)
    return Cell(block["total"], table["protected"]["missions"][mission]["total"] is not None)


@view("/intermire/tableaux", "sector_table")
def sector_table(page):
    indicators = catalogue(page, "sector")
    name = _choice(page, "indicateur", indicators, "people_accompanied")
    columns = _choice(page, "ventilation", indicators[name], indicators[name][0])
    rows = _choice(page, "lignes", [d for d in indicators[name] if d != columns], "") or None
    period = _period(page)

    def get(p):
        extra = {"rows": rows} if rows else {}
        return page.gateway.get(f"/intermire/indicators/{name}", period=p, columns=columns, **extra)

    table = _published(lambda: get(period))
    return _render_table_page(
        page,
        mode="sector",
        name=name,
        period=period,
        columns=columns,
        rows=rows,
        table=table,
        quarters_=_quarter_totals(get, period, "sector") if table else None,
        indicators=indicators,
    )


@view("/intermire/export", "sector_download")
def sector_download(page):
    return _download(page, "/intermire/exports")


# -- a Mission's director --------------------------------------------------------------------------------


@view("/tableau-de-bord/tableaux", "mission_table")
def mission_table(page):
    indicators = catalogue(page, "mission")
    name = _choice(page, "indicateur", indicators, "people_accompanied")
    columns = _choice(page, "ventilation", indicators[name], (indicators[name] or ("",))[0]) or None
    rows = _choice(page, "lignes", [d for d in indicators[name] if d != columns], "") if columns else ""
    rows = rows or None
    period = _period(page)

    def get(p):
        extra = {"rows": rows} if rows else {}
        return page.gateway.get(f"/indicators/{name}/publication", period=p, columns=columns, **extra)

    table = _published(lambda: get(period))
    return _render_table_page(
        page,
        mode="mission",
        name=name,
        period=period,
        columns=columns,
        rows=rows,
        table=table,
        quarters_=_quarter_totals(get, period, "mission") if table else None,
        indicators=indicators,
    )


@view("/tableau-de-bord/export", "mission_download")
def mission_download(page):
    return _download(page, "/exports")


def _download(page, path: str) -> Response:
    """The export as a download: the gateway's file passed on with its name and type."""
    fmt = _choice(page, "format", ("csv", "xlsx", "pdf"), "csv")
    reply = page.gateway.get(path, period=_period(page), format=fmt)
    return Response(
        reply.content,
        content_type=reply.headers.get("Content-Type", "application/octet-stream"),
        headers={"Content-Disposition": reply.headers.get("Content-Disposition", "attachment")},
    )


# -- the funders' tables: Youth Guarantee and ESF+ --------------------------------------------------------


def _block_of(table: dict | None, mission: str | None = None) -> tuple[dict, dict] | None:
    """The published row a funders' table reads: the sector's (or a Mission's) row of InterMire's table, or the
    Mission's own publication."""
    if table is None:
        return None
    if "sector" in table:
        if mission is None:
            return table["sector"], table["protected"]["sector"]
        if mission not in table["missions"]:
            return None
        return table["missions"][mission], table["protected"]["missions"][mission]
    return table, table["protected"]


def _funder_cell(found: tuple[dict, dict] | None, code: str | None) -> Cell:
    if found is None:
        return Cell(None, False)  # nothing publishable
    block, why = found
    if code is not None and code not in block["cells"]:
        return Cell(None, False)
    return _cell(block, why, code)


def _funders(page, mode: str):
    """The Youth Guarantee's figures for people under 25 (per Mission at InterMire) and the ESF+ participants and
    results by gender and age band, each read from the published tables (small cells already protected)."""
    period = _period(page)
    available = catalogue(page, mode)

    def get(name: str, columns: str):
        if mode == "sector":
            return _published(lambda: page.gateway.get(f"/intermire/indicators/{name}", period=period, columns=columns))
        return _published(lambda: page.gateway.get(f"/indicators/{name}/publication", period=period, columns=columns))

    by_age = {n: get(n, "age_band") for n in dict.fromkeys((*HEADLINE_FIGURES, *ESF_INDICATORS)) if n in available}
    youth_columns = [(n, page.gettext(HEADLINE.get(n, n))) for n in HEADLINE_FIGURES if n in by_age]
    youth = []
    if mode == "sector":
        missions = sorted({m for t in by_age.values() if t for m in t["missions"]})
        for m in missions:
            youth.append(
                (
                    _value_label(page, "mission", m),
                    [_funder_cell(_block_of(by_age[n], m), "under_25") for n, _ in youth_columns],
                )
            )
    youth.append(
        (
            page.gettext("Secteur") if mode == "sector" else page.gettext("La Mission"),
            [_funder_cell(_block_of(by_age[n]), "under_25") for n, _ in youth_columns],
        )
    )
    esf_columns = [("total", page.gettext("Total"))]
    for dimension, codes in ESF_CATEGORIES:
        esf_columns += [(f"{dimension}:{c}", _value_label(page, dimension, c)) for c in codes]
    esf = []
    for n in ESF_INDICATORS:
        if n not in available:
            continue
        by_gender = _block_of(get(n, "gender"))
        ages = _block_of(by_age.get(n))
        cells = [_funder_cell(by_gender or ages, None)]
        cells += [_funder_cell(by_gender, c) for c in ESF_CATEGORIES[0][1]]
        cells += [_funder_cell(ages, c) for c in ESF_CATEGORIES[1][1]]
        esf.append((page.gettext(HEADLINE.get(n, n)), cells))
    return page.render(
        "figures/funders.html",
        mode=mode,
        period=period,
        youth_columns=youth_columns,
        youth=youth,
        esf_columns=esf_columns,
        esf=esf,
        reason=page.gettext(PROTECTED_REASON),
        here_url=page.url("sector_funders" if mode == "sector" else "mission_funders"),
        export_url=page.url("sector_download" if mode == "sector" else "mission_download"),
    )


@view("/intermire/financeurs", "sector_funders")
def sector_funders(page):
    return _funders(page, "sector")


@view("/tableau-de-bord/financeurs", "mission_funders")
def mission_funders(page):
    return _funders(page, "mission")


# -- InterMire: which Missions have submitted a period ----------------------------------------------------

SUBMISSION_STATUSES = {
    "missing": N_("pas encore soumise"),
    "submitted": N_("soumise, en attente d'approbation"),
    "approved": N_("approuvée"),
    "superseded": N_("remplacée"),
}


@view("/intermire/soumissions", "sector_submissions")
def sector_submissions(page):
    """Each Mission's submission of a period: status, versions, and the figures each version changed (their
    names: the values stay with the Mission until published). The director approves in the Mission's own
    dashboard (``/tableau-de-bord``), by a second person."""
    period = _period(page)
    found = page.gateway.get("/intermire/submissions", period=period)
    missions = [
        (_value_label(page, "mission", m["mission"]), m["status"], m["approved_version"], m["versions"])
        for m in found["missions"]
    ]
    counts = {s: sum(1 for _, status, _, _ in missions if status == s) for s in SUBMISSION_STATUSES}
    return page.render(
        "figures/submissions.html",
        period=period,
        missions=missions,
        counts=counts,
        statuses=SUBMISSION_STATUSES,
    )
