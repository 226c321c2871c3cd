"""Reporting benchmark: the engine beside PostgreSQL GROUP BY on the same data, in the same run.

    .venv/bin/python -m bench.reporting.run [--events 3000000] [--postgres URL]

Builds a scratch PostgreSQL database migrated like InterMire's reporting, fills ``sector_fact`` with
synthetic coded sector facts (11 Missions, three years, a person in several Missions now and then), and
measures:

1. recompute every indicator (each sector indicator × every month, quarter and year × total and each
   of its dimensions) from the fact log, load included — beside one PostgreSQL GROUP BY counting acts
   and one counting distinct persons per (type, month);
2. the sector query for a year by Mission × target group (engine + small-cell protection, cold and
   cached, and the first query on facts just loaded, which also builds the indicator's index) —
   beside the PostgreSQL GROUP BY giving the same distinct counts (no protection);
3. every breakdown of every sector indicator, published (InterMire's ``sector_table``: the year by
   Mission × the breakdown, linked quarters, small-cell protection): cold (facts just loaded, nothing
   built or cached: the index, the data version and the protection all computed) and warm (the cached
   publication, its key included), p50 and p99 — each beside the PostgreSQL GROUP BY giving the same
   counts unprotected (count DISTINCT person or entity, or count, by Mission × the breakdown);
   then the same for every breakdown of every indicator of one Mission's own publication (its facts
   alone), and for tables of two breakdowns (municipality × quarter, target group × age band, exit reason
   × quarter: the sector's, margins protected as the one-breakdown tables);
4. the exports (CSV, XLSX, the board's PDF): cold (facts just loaded) and warm (publications cached);
5. replay ingestion: events decoded to their codes (``reporting.ingest``) and written with COPY —
   beside COPY of rows already coded.

``--events 1500`` is the seeded platform's scale (about 250 people in eleven Missions, 50 municipalities).

Prints the figures and appends a markdown section to bench/results/reporting.md. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from reporting import cache as publications
from reporting import catalogue as cat
from reporting import publication, suppression
from reporting.engine import COLUMNS, Facts, every_figure, load_sector, table
from reporting.ingest import codes
from reporting.models import SectorFact
from reporting.periods import Period, month

from bench.report import commit, load_note, machine  # noqa: E402
from kit.db import normalize_url
from kit.errors import ValidationFailed
from kit.migrations import drop_database, upgrade

ROOT = Path(__file__).resolve().parents[2]
MISSIONS = [
    ("mirebw", "Brabant wallon"),
    ("mirec", "Charleroi"),
    ("mirecentre", "Centre"),
    ("mirelux", "Lux"),
    ("mirena", "Namur"),
    ("mirelw", "Liège"),
    ("mirehw", "Hainaut occidental"),
    ("mireverviers", "Verviers"),
    ("mirewapi", "Wallonie picarde"),
    ("miresem", "Sud-Est"),
    ("mirehuy", "Huy-Waremme"),
]
SECTOR_KINDS = [
    cat.TYPE_CODE[t]
    for t in (
        *cat.PATH_FACTS,
        cat.C + "signed.v1",
        cat.C + "commitment_evaluated.v1",
        cat.E + "vacancy_opened.v1",
        cat.E + "vacancy_filled.v1",
    )
]
KIND_WEIGHTS = np.array([8, 30, 6, 4, 2, 3, 3, 1, 1, 3, 2], dtype=float)


def synthetic(n: int, seed: int = 2015) -> dict:
    """Coded sector facts: persons with a Mission, profile and path; about 6 facts per person."""
    rng = np.random.default_rng(seed)
    persons = max(n // 6, 1)
    p_mission = rng.integers(0, len(MISSIONS), persons)
    p_gender = rng.integers(1, 3, persons)
    p_age = rng.choice([1, 2, 3], persons, p=[0.3, 0.55, 0.15])
    p_groups = (rng.random((persons, len(cat.TARGET_GROUPS))) < 0.15) @ (1 << np.arange(len(cat.TARGET_GROUPS)))
    p_muni = rng.choice(np.arange(50000, 50300), persons)
    who = rng.integers(0, persons, n)
    kind = rng.choice(SECTOR_KINDS, n, p=KIND_WEIGHTS / KIND_WEIGHTS.sum())
    start = month(2024 * 12).first
    months = start + rng.integers(0, 36, n)
    day = (months // 12) * 10000 + (months % 12 + 1) * 100 + rng.integers(1, 29, n)
    person = (who.astype(np.int64) * 2654435761 + 12345) % (2**62) + 1
    mission = p_mission[who].copy()
    moved = rng.random(n) < 0.01  # now and then the same person's fact comes from another Mission
    mission[moved] = rng.integers(0, len(MISSIONS), int(moved.sum()))
    return {
        "kind": kind,
        "day": day,
        "person": person,
        "entity": rng.integers(1, 2**62, n),
        "tag": np.full(n, 1),
        "gender": p_gender[who],
        "age": p_age[who],
        "groups": p_groups[who],
        "municipality": p_muni[who],
        "mission": mission,
    }


def generate_in_postgres(conn, n: int) -> None:
    """Fill sector_fact with ``n`` synthetic coded facts, generated by PostgreSQL itself (fast, same data for both).

    About six facts per person; a person's Mission, gender, age band, target groups (each about 1 in 8) and
    municipality follow from their number; one fact in a hundred comes from another Mission.
    """
    kinds = ",".join(str(k) for k, w in zip(SECTOR_KINDS, KIND_WEIGHTS, strict=True) for _ in range(int(w)))
    missions = ",".join(f"'{code}'" for code, _ in MISSIONS)
    types = ",".join(f"'{t}'" for t in cat.TYPES)
    weight = int(KIND_WEIGHTS.sum())
    conn.execute(
        sa.text(f"""
        INSERT INTO sector_fact (event_id, mission, type, pseudonym, month, data, kind, day, person, entity, tag,
                                 gender, age, groups, municipality)
        SELECT 'e' || i, (ARRAY[{missions}])[1 + CASE WHEN i % 100 = 0 THEN (i / 100) % 11 ELSE p % 11 END],
               (ARRAY[{types}])[k], to_hex(p), to_char(d, 'YYYY-MM'), '{{}}', k,
               to_char(d, 'YYYYMMDD')::int, p * 2654435761 % 4611686018427387903 + 1, i + 1,
               CASE WHEN k = {cat.TYPE_CODE[cat.B + "exited.v1"]} THEN {cat.TAG_CODE[cat.EXIT_REASONS[0]]} + i % 5
                    ELSE 4 END,
               1 + (p / 11) % 2, 1 + (p / 23) % 3,
               (hashtext(p::text) & hashtext((p + 7)::text) & hashtext((p + 13)::text)) & 511,
               50000 + (p / 5) % 300
        FROM (SELECT i, (hashtext(i::text)::bigint & 2147483647) % {max(n // 6, 1)} AS p,
                     (ARRAY[{kinds}])[1 + (hashtext((i + 1)::text)::bigint & 2147483647) % {weight}] AS k,
                     date '2024-01-01' + ((hashtext((i + 2)::text)::bigint & 2147483647) % 1095)::int AS d
              FROM generate_series(1, {n}) i) s""")
    )


def copy_rows(conn, data: dict, offset: int = 0) -> None:
    """COPY coded rows into sector_fact (event_id, mission, type, pseudonym, month, data, codes…)."""
    # Python ints, not numpy scalars: indexing an array once per value would cost more than the COPY
    columns = ("mission", "kind", "day", "person", "entity", "tag", "gender", "age", "groups", "municipality")
    lists = [data[c].tolist() if isinstance(data[c], np.ndarray) else list(data[c]) for c in columns]
    out = io.StringIO()
    types = cat.TYPES
    for i, (mission, kind, d, person, entity, tag, gender, age, groups, muni) in enumerate(zip(*lists, strict=True)):
        out.write(
            f"e{offset + i}\t{MISSIONS[mission][0]}\t{types[kind - 1]}\t"
            f"{person:x}\t{d // 10000:04d}-{d // 100 % 100:02d}\t{{}}\t{kind}\t{d}\t"
            f"{person}\t{entity}\t{tag}\t{gender}\t{age}\t{groups}\t{muni}\n"
        )
    out.seek(0)
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur:
        cur.copy_expert(
            "COPY sector_fact (event_id, mission, type, pseudonym, month, data, kind, day, person, "
            "entity, tag, gender, age, groups, municipality) FROM STDIN",
            out,
        )


def timed(fn, repeat: int = 1):
    best, value = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t)
    return best, value


def recompute_all(engine) -> tuple[int, float, float]:
    """(figures, load seconds, compute seconds) for every sector indicator × period × breakdown."""
    t = time.perf_counter()
    with engine.connect() as conn, sa.orm.Session(bind=conn) as session:
        facts = load_sector(session, SectorFact, MISSIONS)
    loaded = time.perf_counter() - t
    months = sorted(set((facts.month).tolist()))
    periods = [month(m) for m in months]
    for year in sorted({m // 12 for m in months}):
        y = Period("year", str(year), year * 12, year * 12 + 11)
        periods += [*y.quarters(), y]
    result = every_figure(facts, cat.CATALOGUE.for_mode("sector"), periods)
    return sum(1 + len(v["cells"]) for v in result.values()), loaded, time.perf_counter() - t - loaded


def percentile(samples, q: float) -> float:
    return float(np.percentile(np.asarray(samples), q, method="higher")) if len(samples) else float("nan")


def group_by_sql(
    ind: cat.Indicator, columns: str, year: int, rows_dim: str | None = None, where_mission: str | None = None
) -> str:
    """The PostgreSQL GROUP BY giving ``ind``'s year by Mission × ``columns`` with its margins (distinct where
    the indicator counts distinct), unprotected; a person's first contract ever (``first_only``) aside."""
    kinds = ",".join(str(cat.TYPE_CODE[t]) for t in ind.types)
    count = {cat.PERSONS: "count(DISTINCT person)", cat.ENTITIES: "count(DISTINCT entity)"}.get(ind.counts, "count(*)")
    where = f"kind IN ({kinds}) AND day BETWEEN {year}0101 AND {year}1231"
    if ind.tag is not None:
        where += f" AND tag = {cat.TAG_CODE[ind.tag]}"
    source = "sector_fact"
    if "target_group" in (columns, rows_dim):
        source += f", generate_series(0, {len(cat.TARGET_GROUPS) - 1}) g"
        where += " AND groups & (1 << g) <> 0"
    column = _SQL_COLUMNS.get(columns)
    rows = _SQL_COLUMNS.get(rows_dim, "mission")
    if column is None:  # mission, basin (one Mission per basin here)
        return f"SELECT mission, {count} FROM {source} WHERE {where} GROUP BY GROUPING SETS ((mission), ())"
    if where_mission is not None:
        where += f" AND mission = '{where_mission}'"
        return f"SELECT {column}, {count} FROM {source} WHERE {where} GROUP BY GROUPING SETS (({column}), ())"
    sets = f"({rows}, {column}), ({rows}), ({column}), ()"
    return f"SELECT {rows}, {column}, {count} FROM {source} WHERE {where} GROUP BY GROUPING SETS ({sets})"


_SQL_COLUMNS = {
    "age_band": "age",
    "gender": "gender",
    "municipality": "municipality",
    "target_group": "g",
    "quarter": "(day / 100 % 100 - 1) / 3",
    "exit_reason": "tag",
}
# The tables of two breakdowns measured (rows, columns), where the indicator allows both.
CROSS = (("municipality", "quarter"), ("target_group", "age_band"), ("exit_reason", "quarter"))


def every_breakdown(
    engine, facts: Facts, year: Period, cold_repeats: int, warm_repeats: int, mode: str = "sector", cross=False
) -> list[tuple]:
    """(indicator, breakdown, cold samples, warm samples, solves, hidden, PostgreSQL seconds, published) for
    every breakdown of every indicator (``mode`` sector: InterMire's tables; mission: the first Mission's own
    publications, from its facts alone); with ``cross``, the tables of two breakdowns of ``CROSS`` instead."""
    out = []
    site = f"bench-{mode}-{os.getpid()}"
    mission_code = facts.missions[0]
    if mode == "mission":
        own = facts.mission == 0
        facts = Facts.from_columns(
            {c: getattr(facts, c)[own] for c in (*COLUMNS, "mission")}, missions=(mission_code,), basins=("",)
        )
    make = publication.sector_table if mode == "sector" else publication.mission_table
    for ind in cat.CATALOGUE.for_mode(mode):
        if cross:
            shapes = [(r, c) for r, c in CROSS if r in ind.dimensions and c in ind.dimensions]
        else:
            shapes = [(None, c) for c in ind.dimensions if mode == "sector" or c not in ("mission", "basin")]
        for rows_dim, columns in shapes:
            cold, stats, table = [], suppression.Stats(), None
            extra = {"rows": rows_dim} if rows_dim else {}
            for i in range(cold_repeats):
                # facts as just loaded: no index, no data version, no publication
                fresh = Facts.from_columns(
                    {c: getattr(facts, c) for c in (*COLUMNS, "mission")}, missions=facts.missions, basins=facts.basins
                )
                t = time.perf_counter()
                try:
                    publication.cache_key(fresh, ind, year, columns, mode, rows_dim)
                    table = make(fresh, ind, year, columns, stats=stats if i == 0 else None, **extra)
                except ValidationFailed:
                    table = None
                cold.append(time.perf_counter() - t)
            warm = []
            if table is not None:
                publications.publication(
                    site, publication.cache_key(facts, ind, year, columns, mode, rows_dim), lambda t=table: t
                )
                for _ in range(warm_repeats):
                    t = time.perf_counter()
                    publications.publication(
                        site, publication.cache_key(facts, ind, year, columns, mode, rows_dim), lambda: 1 / 0
                    )
                    warm.append(time.perf_counter() - t)
            sql = group_by_sql(ind, columns, year.year, rows_dim, mission_code if mode == "mission" else None)
            with engine.connect() as conn:
                t_pg, _ = timed(lambda sql=sql: conn.execute(sa.text(sql)).all())
            hidden = 0
            if table is not None:
                for why in _flags(table):
                    hidden += why is not None
            name = columns if rows_dim is None else f"{rows_dim} × {columns}"
            out.append((ind.name, name, cold, warm, stats.solves, hidden, t_pg, table is not None))
            print(
                f"{mode:7} {ind.name:26} {name:24} cold {np.median(cold) * 1000:7.1f} ms  warm "
                f"{(np.median(warm) * 1e6 if warm else float('nan')):7.1f} µs  solves {stats.solves:5}  hidden "
                f"{hidden:4}  PostgreSQL {t_pg * 1000:7.1f} ms",
                flush=True,
            )
    return out


def _flags(table: dict):
    """Every flag of a published table (its totals included), whatever its shape."""
    why = table["protected"]
    if "lines" in table:
        blocks = [*why["lines"].values(), why["margin"]]
    elif "missions" in table:
        blocks = [*why["missions"].values(), why["sector"]]
    else:
        blocks = [why]
    for block in blocks:
        yield from [*block["cells"].values(), block["total"]]


def exports(facts: Facts, year: Period, repeats: int) -> list[tuple[str, list, list, list]]:
    """(format, cold samples, warm samples, cold CPU samples) of InterMire's export of a year: cold on facts
    just loaded (every table computed and protected), warm with the publications cached.

    The PDF writer (fpdf2 and fontTools) is imported before: a process imports it once, with its first PDF
    (about 1 s of CPU where no bytecode is cached), and that is not the export's work. The CPU time of the
    process (every thread) is kept beside the wall time: on a machine loaded by others, it is the steadier."""
    from reporting import (
        application,
        pdf,  # noqa: F401 - imported once per process, not per export
    )
    from reporting.cache import bump

    from kit.work import Deadline

    out = []
    for fmt in ("csv", "xlsx", "pdf"):
        cold, warm, cpu = [], [], []
        for i in range(repeats):
            site = f"bench-export-{fmt}-{os.getpid()}-{i}"
            fresh = Facts.from_columns(
                {c: getattr(facts, c) for c in (*COLUMNS, "mission")}, missions=facts.missions, basins=facts.basins
            )
            t, c = time.perf_counter(), time.process_time()
            application.export(site, fresh, "sector", year.label, fmt, Deadline())
            cold.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            t = time.perf_counter()
            application.export(site, fresh, "sector", year.label, fmt, Deadline())
            warm.append(time.perf_counter() - t)
            bump(site)
        out.append((fmt, cold, warm, cpu))
        print(
            f"export {fmt:5} cold {np.median(cold) * 1000:7.1f} ms (CPU {np.median(cpu) * 1000:7.1f} ms)  warm "
            f"{np.median(warm) * 1000:7.1f} ms",
            flush=True,
        )
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=3_000_000)
    ap.add_argument("--replay-events", type=int, default=200_000)
    ap.add_argument("--cold-repeats", type=int, default=3)
    ap.add_argument("--warm-repeats", type=int, default=50)
    ap.add_argument("--export-repeats", type=int, default=2)
    ap.add_argument(
        "--postgres", default=os.environ.get("PASSERELLE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
    )
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "reporting.md"))
    args = ap.parse_args(argv)
    url = f"{args.postgres}/bench_reporting_{os.getpid()}"
    command = "python -m bench.reporting.run " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"machine: {machine()}\ncommit: {commit()}\ncommand: {command}", flush=True)
    upgrade("reporting", url)
    engine = sa.create_engine(normalize_url(url))
    rows = []
    try:
        t = time.perf_counter()
        with engine.begin() as conn:
            generate_in_postgres(conn, args.events)
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE sector_fact"))
        print(f"loaded {args.events:,} facts in {time.perf_counter() - t:.1f} s", flush=True)

        # 1. recompute every indicator
        t_engine, (figures, t_load, t_compute) = timed(lambda: recompute_all(engine))
        with engine.connect() as conn:
            t_count, _ = timed(
                lambda: conn.execute(sa.text("SELECT kind, day / 100, count(*) FROM sector_fact GROUP BY 1, 2")).all(),
                2,
            )
            t_distinct, _ = timed(
                lambda: conn.execute(
                    sa.text("SELECT kind, day / 100, count(DISTINCT person) FROM sector_fact GROUP BY 1, 2")
                ).all(),
                2,
            )
        rows.append(
            (
                "recompute every indicator (" + f"{figures:,} figures, load included)",
                f"{t_engine:.2f} s (load {t_load:.2f} s + compute {t_compute:.2f} s)",
                "PostgreSQL GROUP BY (type, month): count / count DISTINCT person",
                f"{t_count:.2f} s / {t_distinct:.2f} s",
                f"{t_engine / t_distinct:.1f}× the distinct query",
                "≤ 10 s",
            )
        )
        print(rows[-1], flush=True)

        # 2. sector query: a year by Mission × target group
        with engine.connect() as conn, sa.orm.Session(bind=conn) as session:
            facts = load_sector(session, SectorFact, MISSIONS)
        ind = cat.BY_NAME["people_accompanied"]
        year = Period("year", "2025", 2025 * 12, 2025 * 12 + 11)
        t_table, _ = timed(lambda: table(facts, ind, year, "mission", "target_group"), 3)
        t_cold, published = timed(lambda: publication.sector_table(facts, ind, year, "target_group"))
        cache = {}
        t_warm, _ = timed(lambda: cache.setdefault("k", published), 3)
        # The first query after the facts are (re)loaded also builds the indicator's index (its rows by
        # year and person, their target groups), which the figures above found built by the plain table.
        fresh = Facts.from_columns(
            {c: getattr(facts, c) for c in (*COLUMNS, "mission")}, missions=facts.missions, basins=facts.basins
        )
        t_first, _ = timed(lambda: publication.sector_table(fresh, ind, year, "target_group"))
        kinds = ",".join(str(cat.TYPE_CODE[t]) for t in ind.types)
        sql = (
            f"SELECT mission, g, count(DISTINCT person) FROM sector_fact, generate_series(0, 8) g "
            f"WHERE kind IN ({kinds}) AND day BETWEEN 20250101 AND 20251231 AND groups & (1 << g) <> 0 "
            f"GROUP BY 1, 2"
        )
        with engine.connect() as conn:
            t_pg, _ = timed(lambda: conn.execute(sa.text(sql)).all(), 3)
        rows.append(
            (
                "sector query, a year by Mission × target group (table with margins, facts in memory)",
                f"{t_table * 1000:.0f} ms",
                "PostgreSQL GROUP BY (Mission, group) count DISTINCT person",
                f"{t_pg * 1000:.0f} ms",
                f"{t_table / t_pg:.2f}×",
                "≤ 200 ms",
            )
        )
        rows.append(
            (
                "same, published: + linked quarters and small-cell protection (cold / cached)",
                f"{t_cold * 1000:.0f} ms / {t_warm * 1e6:.0f} µs",
                "(no protection in the baseline)",
                f"{t_pg * 1000:.0f} ms",
                f"{t_cold / t_pg:.1f}× cold",
                "≤ 200 ms",
            )
        )
        rows.append(
            (
                "same, published, first query on facts just loaded (builds the indicator's index)",
                f"{t_first * 1000:.0f} ms",
                "(no protection in the baseline)",
                f"{t_pg * 1000:.0f} ms",
                f"{t_first / t_pg:.1f}×",
                "—",
            )
        )
        print(rows[-3], rows[-2], rows[-1], flush=True)

        # 3. every breakdown of every indicator, cold and warm
        measured = []
        for label, mode, cross in (
            ("every breakdown of every sector indicator (InterMire, Mission × breakdown)", "sector", False),
            ("every breakdown of every indicator of one Mission's own publication", "mission", False),
            (
                "tables of two breakdowns (sector: municipality × quarter, target group × age band, "
                "exit reason × quarter)",
                "sector",
                True,
            ),
        ):
            found = every_breakdown(engine, facts, year, args.cold_repeats, args.warm_repeats, mode, cross)
            measured += [(mode, *m) for m in found]
            published = [m for m in found if m[7]]
            cold_all = [x for m in published for x in m[2]]
            warm_all = [x for m in published for x in m[3]]
            pg_all = [m[6] for m in found]
            worst = max(published, key=lambda m: max(m[2]))
            rows.append(
                (
                    f"{label}, a year published ({len(published)} tables; {len(found) - len(published)} below "
                    f"the threshold), cold p50 / p99 (worst: {worst[0]} by {worst[1]})",
                    f"{percentile(cold_all, 50) * 1000:.0f} ms / {percentile(cold_all, 99) * 1000:.0f} ms",
                    "PostgreSQL GROUP BY (same counts, grouping sets for the margins) p50 / p99, no protection",
                    f"{percentile(pg_all, 50) * 1000:.0f} ms / {percentile(pg_all, 99) * 1000:.0f} ms",
                    f"{percentile(cold_all, 50) / percentile(pg_all, 50):.2f}× at p50",
                    "≤ 1 s seeded, ≤ 2 s at 3 M",
                )
            )
            rows.append(
                (
                    "same, warm (cached publication, its key computed) p50 / p99",
                    f"{percentile(warm_all, 50) * 1e6:.0f} µs / {percentile(warm_all, 99) * 1e6:.0f} µs",
                    "PostgreSQL GROUP BY p50",
                    f"{percentile(pg_all, 50) * 1000:.0f} ms",
                    f"{percentile(warm_all, 50) / percentile(pg_all, 50):.4f}×",
                    "≤ 200 ms",
                )
            )
            print(rows[-2], rows[-1], flush=True)

        # 4. the exports
        for fmt, cold, warm, cpu in exports(facts, year, args.export_repeats):
            rows.append(
                (
                    f"InterMire's export of a year, {fmt.upper()} (every table of the export), cold / warm p50 "
                    "(CPU time of the cold one)",
                    f"{np.median(cold) * 1000:.0f} ms / {np.median(warm) * 1000:.0f} ms "
                    f"(CPU {np.median(cpu) * 1000:.0f} ms)",
                    "PostgreSQL GROUP BY of every breakdown above, summed",
                    f"{sum(m[7] for m in measured if m[0] == 'sector') * 1000:.0f} ms",
                    "—",
                    "≤ 1 s",
                )
            )
            print(rows[-1], flush=True)

        # 5. replay ingestion
        sample = synthetic(args.replay_events, seed=7)
        events = []
        for i in range(args.replay_events):
            d = int(sample["day"][i])
            day = f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}"
            events.append(
                json.dumps(
                    {
                        "type": cat.TYPES[sample["kind"][i] - 1],
                        "time": day + "T10:00:00Z",
                        "subject": f"{sample['person'][i]:x}",
                        "source": "/missions/mirec/beneficiary",
                        "data": {
                            "pseudonym": f"{sample['person'][i]:x}",
                            "gender": "F",
                            "age_band": "under_25",
                            "municipality": "52011",
                            "target_groups": ["neet_youth"],
                            "month": day[:7],
                            "on": day,
                        },
                    }
                )
            )

        def replay():
            coded = {c: [] for c in COLUMNS_CODED}
            for body in events:
                e = json.loads(body)
                for c, v in codes(e["type"], e["data"], e["time"], e["subject"], sector=True).items():
                    coded[c].append(v)
            coded["mission"] = [1] * len(events)
            with engine.begin() as conn:
                copy_rows(conn, coded, offset=10**9 + replay.round * len(events))
            replay.round += 1

        replay.round = 0
        t_replay, _ = timed(replay)
        with engine.begin() as conn:
            t_copy, _ = timed(lambda: copy_rows(conn, sample, offset=2 * 10**9))
        rate, base = args.replay_events / t_replay, args.replay_events / t_copy
        rows.append(
            (
                f"replay ingestion ({args.replay_events:,} events: decode, code, COPY)",
                f"{rate:,.0f} events/s",
                "PostgreSQL COPY of the rows already coded",
                f"{base:,.0f} rows/s",
                f"{rate / base:.2f}×",
                "≥ 20,000 events/s",
            )
        )
        print(rows[-1], flush=True)
    finally:
        engine.dispose()
        drop_database(url)

    head = f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {args.events:,} events"
    lines = [
        head,
        "",
        f"Machine: {machine()}; {load_note()} when the figures were written  ",
        f"Commit: `{commit()}`  ",
        f"Command: `{command}`",
        "",
        "| measure | engine | baseline | baseline figure | ratio | goal |",
        "|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += [
        "",
        "<details><summary>Every breakdown (a year: InterMire's tables, one Mission's own, two breakdowns)</summary>",
        "",
        "| publication | indicator | breakdown | cold p50 / max | warm p50 / p99 | solves | hidden "
        "| PostgreSQL GROUP BY |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mode, name, columns, cold, warm, solves, hidden, t_pg, ok in measured:
        shown = (
            f"{np.median(cold) * 1000:.1f} ms / {max(cold) * 1000:.1f} ms"
            if ok
            else f"below the threshold ({np.median(cold) * 1000:.1f} ms)"
        )
        hot = f"{np.median(warm) * 1e6:.0f} µs / {percentile(warm, 99) * 1e6:.0f} µs" if warm else "—"
        lines.append(f"| {mode} | {name} | {columns} | {shown} | {hot} | {solves} | {hidden} | {t_pg * 1000:.1f} ms |")
    lines += ["", "</details>"]
    out = Path(args.out)
    if not out.exists():
        out.write_text(
            "# Reporting benchmarks\n\nWritten by `python -m bench.reporting.run`; newest last. "
            "The machine is shared: the load average is noted.\n\n"
        )
    with out.open("a") as f:
        f.write("\n".join(lines) + "\n\n")
    print("\n".join(lines))


COLUMNS_CODED = ("kind", "day", "person", "entity", "tag", "gender", "age", "groups", "municipality")

if __name__ == "__main__":
    main()
