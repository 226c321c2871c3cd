"""``passerelle import-files`` on the real broker and database (SQLite, or PostgreSQL with
``PASSERELLE_TEST_DATABASE=postgresql``): a generated file with one planted error of each kind.

The report must list exactly the planted errors (row, column, reason); ``--dry-run`` must leave every table
of both databases, outboxes included, as it found them; a second run must write nothing; the imported people
must be found by the Mission's search and counted in reporting's indicators, both read through the gateway.
A 500-row file runs by default (every kind of planted error is in it; a larger file shows nothing more and
cost the PostgreSQL pass minutes); the 20,000-row one is marked ``long`` (it takes minutes on two loaded
cores: `make test-long`) and prints its time beside the load average.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from gateway.auth import mint
from kit.db import normalize_url
from runtime.importing.run import Importer
from tests.harness import DEVELOPMENT_ENV, ROOT, module_platform, wait_until
from tests.importfiles import employers_file, people_file

pytestmark = pytest.mark.integration
COUNSELLOR = {"Authorization": f"Bearer {mint('anne.counsellor', 'mirec', ['counsellor'])}"}


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(
        tmp_path_factory, "import", {"mirec": ["beneficiary", "employer", "reporting"]}, intermire=False
    )


def counts(platform) -> dict[str, int]:
    """Every table's row count in the Mission's beneficiary and employer databases (outboxes included)."""
    found = {}
    for service in ("beneficiary", "employer"):
        engine = sa.create_engine(normalize_url(platform.registry.site("mirec").database_url(service)))
        with engine.connect() as conn:
            for table in sa.inspect(engine).get_table_names():
                found[f"{service}.{table}"] = conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
        engine.dispose()
    return found


def run(platform, paths, dry_run=False):
    importer = Importer(platform.registry.site("mirec"), "tester", dry_run)
    try:
        return importer.run(paths)
    finally:
        importer.close()


def reported(outcome) -> set[tuple[str, int, str]]:
    return {(r.where, r.row, r.name) for r in outcome.rejected}


def check_report(outcome, planted: dict[str, list[tuple[int, str, str]]]) -> None:
    assert reported(outcome) == {(where, row, column) for where, rows in planted.items() for row, column, _ in rows}
    reasons = {(r.where, r.row, r.name): r.reason for r in outcome.rejected}
    for where, rows in planted.items():
        for row, column, reason in rows:
            assert reason in reasons[(where, row, column)], (row, column, reasons[(where, row, column)])


def year_counts(platform) -> tuple[str, int, int]:
    """The year with most intakes in the beneficiary database, its intakes and its first contracts."""
    engine = sa.create_engine(normalize_url(platform.registry.site("mirec").database_url("beneficiary")))
    with engine.connect() as conn:
        days = conn.execute(sa.text("SELECT registered_on FROM beneficiary")).scalars().all()
        signed = conn.execute(sa.text("SELECT signed_on FROM contract")).scalars().all()
    engine.dispose()
    years = [str(d)[:4] for d in days]
    year = max(set(years), key=years.count)
    return year, years.count(year), sum(1 for d in signed if str(d)[:4] == year)


def imports_a_generated_file(platform, client, tmp_path, rows: int, first: int = 0):
    people, employers = tmp_path / f"personnes-{rows}.csv", tmp_path / "entreprises.csv"
    planted = {people.name: people_file(people, rows, first=first), employers.name: employers_file(employers)}
    bad_people = len({row for row, _, _ in planted[people.name]})
    before = counts(platform)

    dry = run(platform, [people, employers], dry_run=True)
    check_report(dry, planted)
    assert counts(platform) == before, "a dry run writes nothing, outboxes included"
    assert dry.totals["people"].written == rows - bad_people

    load = os.getloadavg()
    started = time.monotonic()
    done = run(platform, [people, employers])
    seconds = time.monotonic() - started
    print(f"\nimport of {rows} people rows: {seconds:.1f} s, {rows / seconds:.0f} rows/s, load average {load}")
    check_report(done, planted)
    assert done.totals["people"].written == rows - bad_people
    assert done.totals["employers"].written == 3 and done.totals["employers"].contacts == 3
    after = counts(platform)
    assert after["beneficiary.beneficiary"] == before["beneficiary.beneficiary"] + rows - bad_people
    assert after["beneficiary.outbox"] > before["beneficiary.outbox"] + 2 * (rows - bad_people)

    again = run(platform, [people, employers])
    assert again.totals["people"].written == 0 and again.totals["people"].on_file == rows - bad_people
    assert again.totals["employers"].written == 0
    assert counts(platform) == after, "a second run writes nothing"

    # Found by the Mission's search, through the gateway, with the counsellor the file names.
    reply = client.post("/missions/mirec/beneficiaries/search", json={"q": "personne00001"}, headers=COUNSELLOR)
    assert reply.status_code == 200, reply.json
    assert [(i["last_name"], i["counsellor"]) for i in reply.json["items"]] == [("Personne00001", "counsellor1@mirec")]

    # Counted in reporting's indicators, once the relay has published and reporting filed the events.
    year, entries, contracts = year_counts(platform)
    assert entries > 0 and contracts > 0

    def headline():
        answer = client.get(f"/missions/mirec/indicators/headline?period={year}", headers=COUNSELLOR)
        assert answer.status_code == 200, answer.json
        figures = answer.json["indicators"]
        return figures if (figures["entries"], figures["first_contracts"]) == (entries, contracts) else None

    wait_until(headline, timeout=120 + rows / 50, what=f"indicators of {year} counting the imported history")
    return done


@pytest.mark.timeout(900)  # some 2.5 minutes at load 8 on two cores: a dry run, the import, a second run
def test_import_of_500_rows_reports_the_planted_errors_and_is_idempotent(platform, client, tmp_path):
    imports_a_generated_file(platform, client, tmp_path, 500)


@pytest.mark.long
@pytest.mark.timeout(5400)
def test_import_of_20000_rows(platform, client, tmp_path):
    # Numbered after the 500-row file's people: the module's platform keeps what that test imported.
    imports_a_generated_file(platform, client, tmp_path, 20000, first=500)


def test_the_command_imports_the_documented_examples(platform, client, tmp_path):
    """``passerelle import-files`` as a Mission runs it, on docs/examples, then once more."""
    examples = ROOT / "docs" / "examples"
    command = [sys.executable, "-m", "runtime.cli", "--registry", str(platform.registry_path), "import-files", "mirec"]
    first = subprocess.run(
        [*command, str(examples / "personnes.csv"), str(examples / "entreprises.csv"), "--run-by", "marie.directrice"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, **DEVELOPMENT_ENV},
    )
    assert first.returncode == 0, first.stdout + first.stderr
    assert "people: 3 rows read, 3 written" in first.stdout
    assert "people: 3/3 rows read" in first.stderr, "progress on the terminal"
    reply = client.post("/missions/mirec/beneficiaries/search", json={"q": "van den bossche"}, headers=COUNSELLOR)
    assert [i["first_name"] for i in reply.json["items"]] == ["Léa"]
    again = subprocess.run(
        [*command, str(examples / "dossiers.xlsx")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, **DEVELOPMENT_ENV},
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing new was written" in again.stdout, again.stdout


def test_a_file_with_wrong_columns_is_refused_whole(platform, tmp_path):
    before = counts(platform)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "niss;prenon;nom;date_naissance;genre;commune;date_accueil;salaire\n85073003328;A;B;1/1/1985;F;52011;1/1/2024;0\n"
    )
    outcome = run(platform, [bad])
    assert {(r.row, r.column, r.reason.split(" (")[0]) for r in outcome.rejected} == {
        (1, 2, "unknown column 'prenon'"),
        (1, 8, "unknown column 'salaire'"),
        (1, 0, "missing column 'prenom'"),
    }
    assert "did you mean 'prenom'" in next(r.reason for r in outcome.rejected if r.column == 2)
    assert counts(platform) == before


def test_latin1_file_is_read(platform, tmp_path):
    path = tmp_path / "latin1.csv"
    content = (Path(ROOT / "docs" / "examples" / "personnes.csv")).read_text(encoding="utf-8")
    path.write_bytes(content.replace("ALE Charleroi", "ALE Châtelineau").encode("cp1252"))
    outcome = run(platform, [path, ROOT / "docs" / "examples" / "entreprises.csv"], dry_run=True)
    assert any("Windows-1252" in n for n in outcome.notices)
    assert not outcome.rejected


def test_a_bis_number_is_imported_with_its_kind_and_a_wrong_number_refused_naming_both_kinds(
    platform, client, tmp_path
):
    """A newcomer without a national register number is brought in on their BIS number (month raised by 20)."""
    path = tmp_path / "bis.csv"
    path.write_text(
        "niss;prenom;nom;date_naissance;genre;commune;date_accueil\n"
        "88.24.17-123.25;Nour;Nouvellearrivee;17/04/1988;F;52011;03/02/2025\n"
        "88.24.17-123.26;Karim;Chiffrefaux;17/04/1988;H;52011;03/02/2025\n"
    )
    outcome = run(platform, [path])
    assert outcome.totals["people"].written == 1
    [refused] = outcome.rejected
    assert (refused.row, refused.name) == (3, "niss")
    assert "a national register number or a BIS number is accepted" in refused.reason
    assert "88241712326" not in refused.reason
    reply = client.post("/missions/mirec/beneficiaries/search", json={"q": "nouvellearrivee"}, headers=COUNSELLOR)
    [found] = reply.json["items"]
    person = client.get(f"/missions/mirec/beneficiaries/{found['id']}", headers=COUNSELLOR).json
    assert person["niss_kind"] == "bis" and "88241712325" not in str(person)
