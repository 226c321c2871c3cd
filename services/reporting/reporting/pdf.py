"""A period's published figures as a PDF for a board meeting (fpdf2, pure Python, no system package).

It lays out what the export holds, nothing else: every figure comes from a publication
(``reporting.publication``), so a hidden cell is the letter ``c`` with the legend that says why, exactly as in
the CSV and XLSX, and no count from 1 to 4 can appear. The key figures sit beside the same period a year
earlier; then the Missions side by side (InterMire), the Youth Guarantee and ESF+ tables, and every other
indicator's total. French, as the boards read it; numbers written with a non-breaking space between
thousands (one token each when the text is extracted).
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from reporting import catalogue as cat
from reporting import suppression

HIDDEN = "c"
NBSP = "\u00a0"
TITLES = {
    "people_accompanied": "Personnes accompagnées",
    "entries": "Entrées en parcours",
    "returns": "Retours (dossiers rouverts)",
    "first_contracts": "Premiers contrats",
    "employed_after_6_months": "Toujours en emploi après six mois",
    "exits": "Sorties",
    "dropouts": "Abandons",
    "proposals": "Propositions",
    "hires": "Engagements",
    "vacancies_prospected": "Offres prospectées",
    "vacancies_filled": "Postes pourvus",
    "conventions_signed": "Conventions signées",
    "commitments_fulfilled": "Engagements d'embauche tenus",
}
CATEGORIES = {
    "F": "Femmes",
    "M": "Hommes",
    "X": "X",
    "unknown": "Non renseigné",
    "under_25": "Moins de 25 ans",
    "25_to_49": "25 à 49 ans",
    "50_plus": "50 ans et plus",
    "durable_employment": "Emploi durable",
    "training_elsewhere": "Formation ailleurs",
    "moved": "Déménagement",
    "end_of_accompaniment": "Fin d'accompagnement",
    "other": "Autre raison",
}
# Column headings where the table is narrow.
SHORT = {
    "people_accompanied": "Accompagnées",
    "first_contracts": "1ers contrats",
    "employed_after_6_months": "Emploi à 6 mois",
    "exits": "Sorties",
    "unknown": "Non rens.",
    "under_25": "- de 25 ans",
    "25_to_49": "25-49 ans",
    "50_plus": "50 ans et +",
}
LEGEND = (
    f"{HIDDEN} : protégé - {suppression.REASONS[suppression.PROTECTED]}. Une seule marque pour les deux cas : "
    "dire quelles cases ont moins de 5 personnes permettrait de retrouver leur valeur exacte."
)
_LATIN = str.maketrans({"\u2014": "-", "\u2013": "-", "\u2019": "'", "\u2026": "...", "\u00d7": "x"})


def _text(value) -> str:
    """What the core fonts can write (Latin-1)."""
    return str(value).translate(_LATIN).encode("latin-1", "replace").decode("latin-1")


def _figure(value) -> str:
    if value is None or value == HIDDEN:
        return HIDDEN
    return f"{int(value):,}".replace(",", NBSP)


class _Report(FPDF):
    def __init__(self, title: str):
        super().__init__(format="A4")
        self.title_text = _text(title)
        self.set_auto_page_break(True, margin=15)
        self.set_title(self.title_text)
        self.set_creator("Passerelle")

    def header(self):
        if self.page_no() == 1:
            return  # the first page has the title itself
        self.set_font("Helvetica", "B", 9)
        self.set_text_color(90)
        self.cell(0, 6, self.title_text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("Helvetica", "B", 12)
        self.multi_cell(0, 7, _text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def paragraph(self, text: str, size: int = 9) -> None:
        self.set_font("Helvetica", "", size)
        self.multi_cell(0, 4.5, _text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(self, header: list[str], lines: list[list[str]], first: float = 70) -> None:
        """A table: the first column for names, the others for figures (right-aligned); ``c`` cells hatched."""
        if not lines:
            self.paragraph("Rien de publiable.")
            return
        rest = (self.epw - first) / max(len(header) - 1, 1)
        widths = [first] + [rest] * (len(header) - 1)
        self.set_font("Helvetica", "B", 8)
        self.set_fill_color(230)
        for w, h in zip(widths, header, strict=True):
            self.cell(w, 6, _text(h), border=1, align="L" if w == first else "R", fill=True)
        self.ln()
        self.set_font("Helvetica", "", 8)
        for line in lines:
            if self.will_page_break(5.5):
                self.add_page()
            for i, (w, v) in enumerate(zip(widths, line, strict=True)):
                hidden = i > 0 and v == HIDDEN
                self.set_fill_color(215)
                self.cell(w, 5.5, _text(v), border=1, align="L" if i == 0 else "R", fill=hidden)
            self.ln()


def _by(rows, scope=None, breakdown="total"):
    return {(r[0], r[1], r[4]): r[5] for r in rows if r[3] == breakdown and (scope is None or r[0] == scope)}


def board_report(title: str, rows: list[tuple], youth: list[tuple], esf: list[tuple], mode: str, earlier) -> bytes:
    """The PDF: ``rows`` are the export's long-format records (``exports.records``), ``earlier`` the headline
    totals of the same period a year earlier (``{indicator: value or "c" or None}``)."""
    pdf = _Report(title)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, _text(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    period = rows[0][2] if rows else ""
    before = earlier.get("_period", "") if earlier else ""
    scope = "sector" if mode == "sector" else (rows[0][0] if rows else "")
    pdf.paragraph(
        "Chiffres publiés : les cases de moins de 5 personnes et celles qui permettraient de les recalculer sont "
        f"masquées ({HIDDEN}). Les personnes suivies par deux Missions comptent une fois au total du secteur."
        if mode == "sector"
        else f"Chiffres publiés : les cases de moins de 5 personnes et celles qui permettraient de les recalculer "
        f"sont masquées ({HIDDEN})."
    )

    totals = _by(rows, scope)
    pdf.heading(f"Chiffres clés - {period}")
    key = []
    for name in cat.HEADLINE:
        now = totals.get((scope, name, ""))
        then = (earlier or {}).get(name)
        key.append(
            [
                TITLES.get(name, name),
                _figure(now) if now is not None else "-",
                _figure(then) if then is not None else "-",
            ]
        )
    pdf.grid(["Indicateur", period, before or "un an plus tôt"], key)

    if mode == "sector":
        missions = sorted({r[0] for r in rows if r[0] != "sector" and ":" not in r[0]})
        per = _by(rows)
        pdf.heading(f"Par Mission - {period}")
        lines = [[m.upper(), *[_figure(per.get((m, n, ""), HIDDEN)) for n in cat.HEADLINE]] for m in missions] + [
            ["Secteur", *[_figure(per.get(("sector", n, ""), HIDDEN)) for n in cat.HEADLINE]]
        ]
        pdf.grid(["Mission", *[SHORT.get(n, n) for n in cat.HEADLINE]], lines, first=30)

    pdf.heading(f"Garantie Jeunesse (moins de 25 ans) - {period}")
    young = [r for r in youth if r[0] == scope]
    pdf.grid(["Indicateur", "Moins de 25 ans"], [[TITLES.get(r[1], r[1]), _figure(r[4])] for r in young])

    pdf.heading(f"FSE+ : participants et résultats - {period}")
    categories = ["", "F", "M", "X", "unknown", "under_25", "25_to_49", "50_plus"]
    cells = {(r[1], r[4]): r[5] for r in esf if r[0] == scope}
    names = [n for n in dict.fromkeys(r[1] for r in esf if r[0] == scope)]
    lines = [
        [TITLES.get(n, n), *[_figure(cells[(n, c)]) if (n, c) in cells else "-" for c in categories]] for n in names
    ]
    pdf.grid(["Indicateur", "Total", *[SHORT.get(c, CATEGORIES[c]) for c in categories[1:]]], lines, first=50)

    reasons = [r for r in rows if r[0] == scope and r[1] == "exits" and r[3] == cat.EXIT_REASON]
    if reasons:
        pdf.heading(f"Sorties par raison - {period}")
        pdf.grid(["Raison", "Sorties"], [[CATEGORIES.get(r[4], r[4]), _figure(r[5])] for r in reasons])

    others = [n for n in TITLES if n not in cat.HEADLINE and (scope, n, "") in totals]
    if others:
        pdf.heading(f"Autres indicateurs - {period}")
        pdf.grid(["Indicateur", period], [[TITLES[n], _figure(totals[(scope, n, "")])] for n in others])

    pdf.ln(4)
    pdf.paragraph(LEGEND, size=8)
    pdf.paragraph(f"Définitions : catalogue des indicateurs, version v{cat.VERSION}.", size=8)
    return bytes(pdf.output())
