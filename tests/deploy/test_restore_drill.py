"""The restore drill of deploy/README.md, run on the local PostgreSQL.

A Mission's five service databases are built by their own migrations (``deploy_<random>_mirec_<service>``),
given rows (kit's outbox and inbox in each, employers and vacancies in the employer service's), then
``deploy/restore_drill.py`` dumps them with ``pg_dump``, restores each into a fresh database and compares
row counts and checksums per table. A restore that lost a row or changed a value must be reported as
different: the comparison is run once more against a restored database the test damages.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa

from kit.db import normalize_url
from kit.migrations import drop_database, upgrade
from kit.storage import inbox, outbox
from tests.harness import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["beneficiary", "employer", "convention", "matching", "reporting"]
sys.path.insert(0, str(ROOT / "deploy"))
import restore_drill  # noqa: E402


def enterprise_number(base: int) -> str:
    """A valid Belgian enterprise number (BCE): 0 and eight digits, then 97 minus their remainder mod 97."""
    body = 100_000_000 + base
    return f"0{body % 100_000_000:08d}{97 - (body % 100_000_000) % 97:02d}"[-10:]


@pytest.fixture
def mission_databases():
    prefix = f"deploy_{uuid.uuid4().hex[:8]}"
    template = f"{POSTGRES_URL}/{prefix}_{{site}}_{{service}}"
    urls = {service: template.format(site="mirec", service=service) for service in SERVICES}
    try:
        for service, url in urls.items():
            upgrade(service, url)
        yield template, urls
    finally:
        for url in urls.values():
            drop_database(url)
            drop_database(url + "_drill")


def fill(urls: dict[str, str]) -> int:
    """Rows in every database (kit's tables), and employers with vacancies in the employer service's."""
    from employer.models import Employer

    now = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    written = 0
    for service, url in urls.items():
        engine = sa.create_engine(normalize_url(url), poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.execute(
                outbox.insert(),
                [
                    {
                        "event_id": str(uuid.uuid4()),
                        "audience": "internal",
                        "routing_key": f"be.mire.{service}.something_happened.v1",
                        "payload": json.dumps({"n": i, "name": "Amélie Dubois-Lefèvre", "note": None}),
                        "created_at": now + timedelta(seconds=i),
                        "sent_at": None if i % 3 else now,
                        "attempts": i % 4,
                    }
                    for i in range(40)
                ],
            )
            conn.execute(
                inbox.insert(),
                [
                    {"event_id": str(uuid.uuid4()), "handler": f"{service}.on_event", "processed_at": now}
                    for _ in range(15)
                ],
            )
            written += 55
            if service == "employer":
                conn.execute(
                    sa.insert(Employer),
                    [
                        {
                            "id": str(uuid.uuid4()),
                            "enterprise_number": enterprise_number(4200 + i),
                            "name": f"Boulangerie {name}",
                            "nace": "10710",
                            "municipality": "52011",
                            "created_at": now,
                            "postal_code": "6000",
                        }
                        for i, name in enumerate(
                            ["Dupont", "Lambert", "Martin", "Peeters", "Janssens", "Maes", "Jacobs", "Mertens"]
                        )
                    ],
                )
                written += 8
        engine.dispose()
    return written


def test_a_mission_s_databases_restore_to_the_same_rows(mission_databases, tmp_path):
    template, urls = mission_databases
    written = fill(urls)
    report = tmp_path / "drill.json"
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "deploy" / "restore_drill.py"),
            "--source",
            template,
            "--site",
            "mirec",
            "--json",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().splitlines()[-1].startswith("OK: 5 database(s)")
    results = json.loads(report.read_text())
    tables = [r for r in results if not r["table"].endswith("(sequence)")]
    assert {r["database"] for r in results} == {urlsplit_db(u) for u in urls.values()}
    assert all(r["same"] for r in results)
    # Every table came back, the migrations' own among them, with every row written above.
    filled = {"public.outbox", "public.inbox", "public.employer"}
    assert filled | {"public.alembic_version"} <= {r["table"] for r in tables}
    assert sum(r["restored_rows"] for r in tables if r["table"] in filled) == written
    assert any(r["table"].endswith("(sequence)") for r in results)
    # The restored databases are gone again (no --keep).
    with psycopg2.connect(f"{POSTGRES_URL}/postgres") as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", (urlsplit_db(urls["employer"]) + "%",))
        assert cur.fetchone()[0] == 1
    conn.close()


def test_the_drill_reports_a_restore_that_lost_or_changed_rows(mission_databases, capsys):
    _, urls = mission_databases
    fill(urls)
    url = urls["employer"]
    results = restore_drill.drill(url, keep=True)
    assert all(r.same for r in results)
    restored = url + "_drill"
    with psycopg2.connect(restored) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM outbox WHERE seq = (SELECT min(seq) FROM outbox)")
        cur.execute("UPDATE employer SET name = 'Boulangerie Dupond' WHERE name = 'Boulangerie Dupont'")
    conn.close()
    source_tables, _ = restore_drill.fingerprint(url)
    damaged_tables, _ = restore_drill.fingerprint(restored)
    assert source_tables["public.outbox"][0] == damaged_tables["public.outbox"][0] + 1
    assert source_tables["public.employer"][0] == damaged_tables["public.employer"][0]
    assert source_tables["public.employer"][1] != damaged_tables["public.employer"][1]  # same count, other rows
    assert source_tables["public.inbox"] == damaged_tables["public.inbox"]


def urlsplit_db(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_the_drill_restores_onto_another_target_when_given_one(mission_databases):
    _, urls = mission_databases
    fill(urls)
    target = urls["convention"] + "_elsewhere"
    try:
        results = restore_drill.drill(urls["convention"], target_url=target, keep=True)
        assert results and all(r.same for r in results)
        with psycopg2.connect(target) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM outbox")
            assert cur.fetchone()[0] == 40
        conn.close()
    finally:
        drop_database(target)
