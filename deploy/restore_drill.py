"""Restore drill: dump a site's databases, restore them into fresh databases, and prove the rows came back.

    python deploy/restore_drill.py --source 'postgresql://passerelle@127.0.0.1:5432/{site}_{service}' \\
        --site mirec [--services beneficiary,employer] [--target URL-TEMPLATE | --suffix _drill] [--keep]
        [--json report.json]

For each service database of the site (the registry's list, or ``--services``) it:

1. takes a ``pg_dump`` in custom format (what a nightly logical backup would keep), into a scratch folder;
2. creates a fresh database (``--target``'s, or ``<name><suffix>`` beside the source; dropped first if a
   previous drill left it) and
   ``pg_restore``\\ s the dump into it (``--exit-on-error``, no owner or privilege statements);
3. compares source and restore, table by table (every table of every non-system schema): the row
   count and a checksum of the rows (the md5 of the sorted md5s of each row's text, so the order rows
   come back in does not matter), then each sequence's position;
4. prints one line per table and ends with ``OK`` (exit 0) or the list of differences (exit 1).

The restored databases are dropped at the end unless ``--keep``. The password comes from libpq
(``PGPASSWORD``, ``~/.pgpass``), never from the command line. ``pg_dump`` must be of the server's major
version or newer. A source that changes during the drill compares against the dump's snapshot only if
nothing writes meanwhile: run it on a quiesced copy, or read the differences as what was written since.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVICES = {
    "mission": ["beneficiary", "employer", "convention", "matching", "reporting"],
    "intermire": ["reporting"],
}

TABLES = """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
    ORDER BY 1, 2
"""
SEQUENCES = """
    SELECT schemaname, sequencename, last_value FROM pg_sequences
    WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2
"""


@dataclass
class Comparison:
    database: str
    table: str
    source_rows: int
    restored_rows: int
    source_checksum: str | None
    restored_checksum: str | None

    @property
    def same(self) -> bool:
        return (self.source_rows, self.source_checksum) == (self.restored_rows, self.restored_checksum)


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def fingerprint(url: str) -> tuple[dict[str, tuple[int, str | None]], dict[str, int | None]]:
    """Per table (``schema.table``): row count and checksum; per sequence: its last value."""
    tables, sequences = {}, {}
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute(TABLES)
        for schema, table in cur.fetchall():
            cur.execute(
                sql.SQL(
                    "SELECT count(*), md5(string_agg(h, '' ORDER BY h)) "
                    "FROM (SELECT md5(t::text) AS h FROM {}.{} AS t) AS rows"
                ).format(sql.Identifier(schema), sql.Identifier(table))
            )
            count, checksum = cur.fetchone()
            tables[f"{schema}.{table}"] = (count, checksum)
        cur.execute(SEQUENCES)
        for schema, name, last in cur.fetchall():
            sequences[f"{schema}.{name}"] = last
    conn.close()
    return tables, sequences


def recreate(url: str, database: str) -> None:
    conn = psycopg2.connect(with_database(url, "postgres"))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    conn.close()


def drop(url: str, database: str) -> None:
    conn = psycopg2.connect(with_database(url, "postgres"))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
    conn.close()


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def drill(
    source_url: str, suffix: str = "_drill", keep: bool = False, out=sys.stdout, target_url: str | None = None
) -> list[Comparison]:
    """Dump ``source_url``'s database, restore it into ``target_url`` (default: beside it, with ``suffix``),
    compare; returns one line per table and sequence."""
    database = urlsplit(source_url).path.lstrip("/")
    target_url = target_url or with_database(source_url, database + suffix)
    restored = urlsplit(target_url).path.lstrip("/")
    results: list[Comparison] = []
    with tempfile.TemporaryDirectory(prefix="restore-drill-") as scratch:
        dump = Path(scratch) / f"{database}.dump"
        # The dump is taken in one snapshot (pg_dump's own transaction); compare against the source as of now.
        subprocess.run(
            [
                tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={dump}",
                f"--dbname={source_url}",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        recreate(target_url, restored)
        try:
            subprocess.run(
                [
                    tool("pg_restore"),
                    "--exit-on-error",
                    "--no-owner",
                    "--no-privileges",
                    f"--dbname={target_url}",
                    str(dump),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            source_tables, source_seqs = fingerprint(source_url)
            restored_tables, restored_seqs = fingerprint(target_url)
        finally:
            if not keep:
                drop(target_url, restored)
    for table in sorted(set(source_tables) | set(restored_tables)):
        rows, checksum = source_tables.get(table, (-1, None))
        rows2, checksum2 = restored_tables.get(table, (-1, None))
        results.append(Comparison(database, table, rows, rows2, checksum, checksum2))
    for seq in sorted(set(source_seqs) | set(restored_seqs)):
        a, b = source_seqs.get(seq, -1), restored_seqs.get(seq, -1)
        results.append(Comparison(database, f"{seq} (sequence)", a or 0, b or 0, str(a), str(b)))
    for r in results:
        print(
            f"{r.database:<28} {r.table:<48} {r.source_rows:>9} {r.restored_rows:>9} "
            f"{(r.source_checksum or '-')[:12]:<12} {'same' if r.same else 'DIFFERENT'}",
            file=out,
        )
    return results


def site_services(site: str, registry: Path) -> list[str]:
    import yaml  # the registry as data: this tool runs where only the deployment files are

    data = yaml.safe_load(registry.read_text())
    for entry in data["sites"]:
        if entry["code"] == site:
            return DEFAULT_SERVICES[entry["kind"]]
    raise SystemExit(f"unknown site '{site}' in {registry}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python deploy/restore_drill.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source", required=True, help="URL template of the site's databases, with {site} and {service} (no password)"
    )
    parser.add_argument("--site", required=True, help="the site's code (its services come from the registry)")
    parser.add_argument("--services", help="comma-separated services (default: every service of the site)")
    parser.add_argument("--registry", default=str(ROOT / "config" / "missions.yaml"))
    parser.add_argument("--suffix", default="_drill", help="appended to each database's name for its restore")
    parser.add_argument(
        "--target",
        help="URL template of the restored databases, with {site} and {service}, "
        "on a server where the user may create databases (default: beside the source, with --suffix)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the restored databases")
    parser.add_argument("--json", help="also write the comparison as JSON to this file")
    args = parser.parse_args(argv)
    if urlsplit(args.source).password or (args.target and urlsplit(args.target).password):
        parser.error("give the password through PGPASSWORD or ~/.pgpass, not in the URL")
    services = args.services.split(",") if args.services else site_services(args.site, Path(args.registry))
    print(f"{'database':<28} {'table':<48} {'source':>9} {'restored':>9} {'checksum':<12} result")
    results = []
    for service in services:
        target = args.target.format(site=args.site, service=service) if args.target else None
        results += drill(args.source.format(site=args.site, service=service), args.suffix, args.keep, target_url=target)
    different = [r for r in results if not r.same]
    tables = sum(1 for r in results if not r.table.endswith("(sequence)"))
    rows = sum(r.source_rows for r in results if not r.table.endswith("(sequence)"))
    if args.json:
        Path(args.json).write_text(json.dumps([{**asdict(r), "same": r.same} for r in results], indent=2) + "\n")
    if different:
        print(
            f"DIFFERENT: {len(different)} of {len(results)} tables and sequences: "
            + ", ".join(f"{r.database}.{r.table}" for r in different)
        )
        return 1
    print(f"OK: {len(services)} database(s), {tables} tables, {rows} rows restored identical")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
