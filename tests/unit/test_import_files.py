"""``passerelle import-files`` without a broker: reading files, checking rows, writing through the use cases.

The databases are real migrated SQLite files (``kit.testing.migrate``); the site is a stand-in that names
them. What the broker and the gateway add (events published and filed by reporting, search) is
``tests/integration/test_import_files.py``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from kit.testing import migrate
from runtime.importing import layout
from runtime.importing.reading import FileRefused, decode, read
from runtime.importing.run import Importer

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
HEADER = "niss;prenom;nom;date_naissance;genre;commune;date_accueil;etapes;sortie_date;sortie_motif\n"


class Site:
    """The registry's site as the importer reads it: a Mission code and its databases' URLs."""

    is_mission = True

    def __init__(self, folder: Path, code: str = "mirec"):
        self.code, self.folder = code, folder
        for service in ("beneficiary", "employer"):
            migrate(service, self.database_url(service)).engine.dispose()

    def database_url(self, service: str) -> str:
        return f"sqlite:///{self.folder}/{service}.sqlite"


@pytest.fixture
def site(tmp_path):
    return Site(tmp_path)


def run(site, *paths, dry_run=False):
    importer = Importer(site, "marie.directrice", dry_run)
    try:
        return importer.run([Path(p) for p in paths])
    finally:
        importer.close()


def rows_of(site) -> dict[str, int]:
    found = {}
    for service in ("beneficiary", "employer"):
        engine = sa.create_engine(site.database_url(service))
        with engine.connect() as conn:
            for table in sa.inspect(engine).get_table_names():
                found[f"{service}.{table}"] = conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
        engine.dispose()
    return found


def query(site, service, sql):
    engine = sa.create_engine(site.database_url(service))
    with engine.connect() as conn:
        rows = conn.execute(sa.text(sql)).all()
    engine.dispose()
    return rows


# -- cells and headers ----------------------------------------------------
@pytest.mark.parametrize(
    "cell, day",
    [("07/12/2026", date(2026, 12, 7)), ("7.12.2026", date(2026, 12, 7)), ("7-1-2026", date(2026, 1, 7))]
    + [("2026-12-07", date(2026, 12, 7)), ("", None)],
)
def test_belgian_and_iso_dates(cell, day):
    assert layout.parse_date(cell) == day


@pytest.mark.parametrize(
    "cell, reason", [("07/12/26", "four digits"), ("31/02/2024", "no such day"), ("12/2024", "not a date")]
)
def test_dates_refused_with_a_plain_reason(cell, reason):
    with pytest.raises(layout.CellError, match=reason):
        layout.parse_date(cell)


def test_headers_are_read_without_case_accents_or_spaces():
    assert layout.header_key("Date d'accueil") == "date_accueil"
    assert layout.header_key(" Prénom ") == "prenom"
    assert layout.canonical(layout.PEOPLE)["intake_date"] == "date_accueil"


def test_numbers_a_spreadsheet_stored_as_numbers_keep_their_zeros():
    assert layout.number(1022730318, 11) == "01022730318"
    assert layout.number(403145163.0, 10) == "0403145163"
    assert layout.number(" 0403.145.163 ", 10) == "0403.145.163"


def test_words_of_the_field_become_codes():
    assert layout.code("Remise à niveau", layout.STAGES, "stage") == "remise_a_niveau"
    assert layout.code("CDI", layout.CONTRACT_TYPES, "contract type") == "permanent"
    assert layout.code("H", layout.GENDERS, "gender") == "M"
    with pytest.raises(layout.CellError, match="unknown stage 'nulle part'"):
        layout.code("nulle part", layout.STAGES, "stage")


# -- encodings and separators ----------------------------------------------
def test_excel_bom_latin1_and_semicolons(tmp_path):
    assert decode(b"\xef\xbb\xbfniss;nom")[0] == "niss;nom"
    text, notices = decode("niss;nom\n1;Lefèvre".encode("cp1252"))
    assert "Lefèvre" in text and "Windows-1252" in notices[0] and "row 2" in notices[0]
    assert "Ã©" in decode("nom\nLefÃ©vre".encode())[1][0], "UTF-8 once read as Latin-1 is pointed out"
    path = tmp_path / "people.csv"
    path.write_bytes(("\ufeff" + HEADER + "85073003328;A;Lefèvre;1/1/1985;F;52011;1/1/2024;;;\n").encode("utf-8"))
    (table,) = read(path)
    assert table.kind == layout.PEOPLE and table.rows[0][1][2] == "Lefèvre"
    assert "separator: ';'" in table.notices


def test_wrong_columns_refuse_the_table_with_their_numbers(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("niss,prenon,nom,date_naissance,genre,commune,nom\n", encoding="utf-8")
    with pytest.raises(FileRefused) as refused:
        read(path)
    problems = {(row, column): reason for row, column, reason in refused.value.problems}
    assert problems[(1, 2)].startswith("unknown column 'prenon' (did you mean 'prenom'?)")
    assert problems[(1, 7)] == "column 'nom' appears twice (also column 3)"
    assert "missing column 'date_accueil' (intake_date)" in problems.values()


def test_a_table_of_neither_kind_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("nom;prenom\nA;B\n", encoding="utf-8")
    with pytest.raises(FileRefused, match="cannot tell"):
        read(path)


# -- a whole import -----------------------------------------------------------
def test_examples_are_imported_with_their_history_and_a_second_run_writes_nothing(site):
    outcome = run(site, EXAMPLES / "personnes.csv", EXAMPLES / "entreprises.csv")
    assert not outcome.rejected
    assert (outcome.totals["people"].written, outcome.totals["employers"].contacts) == (3, 3)
    people = query(site, "beneficiary", "SELECT last_name, stage, status, counsellor FROM beneficiary ORDER BY 1")
    assert [tuple(p) for p in people] == [
        ("Dubois", "orientation", "exited", "anne@mirec"),
        ("El Idrissi", "formation", "active", "anne@mirec"),
        ("Van den Bossche", "formation", "active", "anne@mirec"),
    ]
    # The facts keep their dates and the import's system actor; who ran it is in the audit.
    moves = query(site, "beneficiary", "SELECT to_stage, at, by FROM stage_transition WHERE kind = 'moved'")
    assert ("orientation", "2025-02-17 12:00:00.000000", "system:import-files") in [tuple(m) for m in moves]
    audit = query(site, "beneficiary", "SELECT actor, purpose FROM audit WHERE action = 'beneficiary.import'")
    assert {tuple(a) for a in audit} == {
        ("system:import-files", f"marie.directrice: personnes.csv row {n}") for n in (2, 3, 4)
    }
    types = {r[0] for r in query(site, "beneficiary", "SELECT routing_key FROM outbox")}
    assert {"be.mire.beneficiary.registered.v1", "be.mire.beneficiary.contract_signed.v1"} <= types
    assert {"be.mire.beneficiary.employment_confirmed_6m.v1", "be.mire.beneficiary.exited.v1"} <= types
    contract = query(site, "beneficiary", "SELECT signed_on, check_due, checked_on FROM contract ORDER BY 1")
    assert [tuple(c) for c in contract][0] == ("2025-06-16", "2025-12-16", "2025-12-16")

    before = rows_of(site)
    again = run(site, EXAMPLES / "dossiers.xlsx")
    assert (again.totals["people"].on_file, again.totals["people"].written, again.rejected) == (3, 0, [])
    assert rows_of(site) == before


def test_dry_run_writes_nothing_and_reports_the_same(site, tmp_path):
    before = rows_of(site)
    dry = run(site, EXAMPLES / "personnes.csv", EXAMPLES / "entreprises.csv", dry_run=True)
    assert dry.totals["people"].written == 3 and not dry.rejected, "contracts find this run's employers"
    assert rows_of(site) == before


def test_a_row_refused_by_a_live_rule_leaves_nothing_behind(site, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        HEADER
        # a move after the exit: the file is closed, as the live rule says
        + "85073003328;Anne;Lefèvre;30/07/1985;F;52011;01/02/2024;formation 01/06/2024;01/05/2024;autre\n"
        + "90041210102;Amina;El Idrissi;12/04/1990;F;52011;03/02/2025;orientation 01/01/2025;;\n"
        + "01022730318;Léa;Martin;27/02/2001;F;52011;06/01/2025;;;\n",
        encoding="utf-8",
    )
    before = rows_of(site)
    outcome = run(site, path)
    assert [(r.row, r.name, r.reason) for r in outcome.rejected] == [
        (2, "etapes", "the file is closed (exited): re-open it (a new episode) to follow the person again"),
        (3, "etapes", "is before the intake date"),
    ]
    after = rows_of(site)
    assert after["beneficiary.beneficiary"] == before["beneficiary.beneficiary"] + 1
    assert after["beneficiary.stage_transition"] == before["beneficiary.stage_transition"] + 1


def test_duplicates_and_known_numbers_with_other_details(site, tmp_path):
    row = "85073003328;Anne;Lefèvre;30/07/1985;F;52011;01/02/2024;;;\n"
    path = tmp_path / "people.csv"
    path.write_text(HEADER + row + row + row.replace("Anne", "Anna"), encoding="utf-8")
    outcome = run(site, path)
    assert [(r.row, r.name, r.reason) for r in outcome.rejected] == [
        (3, "", "duplicate of row 2"),
        (4, "niss", "same national number as row 2"),
    ]
    other = tmp_path / "later.csv"
    other.write_text(HEADER + row.replace("Anne", "Anna"), encoding="utf-8")
    later = run(site, other)
    assert [(r.name, r.reason.split(":")[0]) for r in later.rejected] == [
        ("prenom", "the Mission already has a file with this national number and other details")
    ]


def test_a_known_enterprise_with_other_details_is_refused(site, tmp_path):
    assert not run(site, EXAMPLES / "entreprises.csv").rejected
    moved = tmp_path / "entreprises.csv"
    moved.write_text(
        (EXAMPLES / "entreprises.csv").read_text(encoding="utf-8").replace(";52011;6000;", ";53053;7000;"),
        encoding="utf-8",
    )
    outcome = run(site, moved)
    assert [(r.row, r.name) for r in outcome.rejected] == [(2, "bce"), (3, "bce")]
    assert "other details" in outcome.rejected[0].reason


def test_every_problem_of_a_row_with_its_column(site, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        HEADER + "12345678901;;Lefèvre;1985-13-01;Q;99999;01/02/24;ailleurs 01/03/2024;01/05/2024;\n", encoding="utf-8"
    )
    outcome = run(site, path)
    assert {(r.column, r.name) for r in outcome.rejected} == {
        (1, "niss"),
        (2, "prenom"),
        (4, "date_naissance"),
        (5, "genre"),
        (6, "commune"),
        (7, "date_accueil"),
        (8, "etapes"),
        (10, "sortie_motif"),
    }


def test_a_bis_number_is_accepted(site, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(HEADER + "85273010103;Noé;Diallo;30/07/1985;M;52011;01/02/2024;;;\n", encoding="utf-8")
    assert not run(site, path).rejected


def test_a_site_that_is_not_a_mission_is_refused(site):
    from kit.config import ConfigError

    site.is_mission = False
    with pytest.raises(ConfigError, match="not a Mission"):
        Importer(site, "x")
