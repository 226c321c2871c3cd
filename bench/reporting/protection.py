"""Small-cell protection on the seeded platform's scale: InterMire's tables by every breakdown.

    .venv/bin/python -m bench.reporting.protection [--people 240] [--municipalities 50] [--year 2026]

Builds the sector facts the seeded embedded default gives InterMire (about 240 people in eleven
Missions, each Mission's people in the municipalities of its own part of Wallonia, registered over the
last two years, some with a contract and a six-month follow-up), then publishes every sector indicator by
every breakdown exactly as ``sector_table`` does, and prints for each the time, the linear programmes
solved, the audit rounds and the cells hidden. Nothing is asserted; the test on the municipality table
(``services/reporting/tests/test_sector_service.py``) asserts the number of solves.

With ``--flags``, it also measures what the published reasons give away on the municipality tables: for
each small hidden cell, the interval a reader gets who also uses the flags (every ``small`` cell between 1
and 4), and how many are narrower than that range or pinned to one value.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from reporting import catalogue as cat
from reporting import publication, suppression
from reporting.engine import Facts
from reporting.periods import Period, parse

from bench.report import commit, load_note, machine
from kit.errors import ValidationFailed

MISSIONS = (
    "mirebw", "mirec", "mirecentre", "mirelux", "mirena", "mirelw",
    "mirehw", "mireverviers", "mirewapi", "miresem", "mirehuy",
)  # fmt: skip


def seeded_facts(people: int = 240, municipalities: int = 50, year: int = 2026, seed: int = 2015) -> Facts:
    """Sector facts shaped like the seeded platform's: registrations over two years, a path for some."""
    rng = np.random.default_rng(seed)
    B = cat.B
    mission = rng.integers(0, len(MISSIONS), people)
    # a Mission's people live in the municipalities of its province: neighbouring Missions share some
    spread = max(2 * municipalities // len(MISSIONS), 1)
    muni = 50000 + (mission * municipalities // len(MISSIONS) + rng.integers(0, spread, people)) % municipalities
    start = (year - 1) * 12 + rng.integers(0, 24, people)  # registered over the last two years (month index)
    rows = []

    def add(kind, who, months):
        rows.append((np.full(len(who), cat.TYPE_CODE[B + kind]), who, months))

    everyone = np.arange(people)
    add("registered.v1", everyone, start)
    staged = everyone[rng.random(people) < 0.7]
    add("stage_changed.v1", staged, np.minimum(start[staged] + rng.integers(0, 6, len(staged)), year * 12 + 11))
    signed = everyone[rng.random(people) < 0.4]
    add("contract_signed.v1", signed, np.minimum(start[signed] + rng.integers(1, 9, len(signed)), year * 12 + 11))
    confirmed = signed[rng.random(len(signed)) < 0.7]
    add("employment_confirmed_6m.v1", confirmed, np.minimum(start[confirmed] + 9, year * 12 + 11))
    dropped = everyone[rng.random(people) < 0.1]
    add("dropped_out.v1", dropped, np.minimum(start[dropped] + rng.integers(1, 6, len(dropped)), year * 12 + 11))
    kind = np.concatenate([k for k, _, _ in rows])
    who = np.concatenate([w for _, w, _ in rows])
    months = np.concatenate([m for _, _, m in rows])
    day = (months // 12) * 10000 + (months % 12 + 1) * 100 + 1 + rng.integers(0, 28, len(who))
    groups = (rng.random((people, len(cat.TARGET_GROUPS))) < 0.15) @ (1 << np.arange(len(cat.TARGET_GROUPS)))
    columns = {
        "kind": kind,
        "day": day,
        "person": who.astype(np.int64) * 2654435761 % (2**61) + 1,
        "entity": np.zeros(len(who), dtype=np.int64),
        "tag": np.zeros(len(who), dtype=np.int64),
        "gender": rng.integers(1, 3, people)[who],
        "age": rng.choice([1, 2, 3], people, p=[0.3, 0.55, 0.15])[who],
        "groups": groups[who],
        "municipality": muni[who],
        "mission": mission[who],
    }
    basins = ("Brabant wallon", "Charleroi", "Centre", "Luxembourg", "Namur", "Liège", "Hainaut occidental",
              "Verviers", "Wallonie picarde", "Sud-Est", "Huy-Waremme")  # fmt: skip
    return Facts.from_columns(columns, missions=MISSIONS, basins=basins)


def protected(facts: Facts, ind, period, columns) -> tuple[dict | None, suppression.Stats, float]:
    stats = suppression.Stats()
    t = time.perf_counter()
    try:
        table = publication.sector_table(facts, ind, period, columns, stats=stats)
    except ValidationFailed:
        table = None
    return table, stats, time.perf_counter() - t


def flag_leaks(facts: Facts, ind, period: Period, columns: str) -> tuple[int, int, int]:
    """(small hidden cells, narrowed by the flags below 1 … 4, pinned to one value) of a sector table."""
    periods = publication.linked(period)
    values, _, _ = publication.cube(facts, ind, periods, "mission", columns)
    additive = publication.additive(ind, columns)
    hidden = suppression.protect_sector(values, suppression.time_links(periods), additive=additive)
    P, R, C = values.shape
    links = suppression.cube_links(P, R, C, suppression.time_links(periods))
    flat, mask = values.reshape(-1), hidden.reshape(-1)
    small = np.flatnonzero(mask & suppression.primary(flat))
    narrowed = pinned = 0
    for cell in small:
        lo, hi = suppression.interval(flat, mask, links, int(cell), additive, flags=True)
        narrowed += lo > 1 + 1e-9 or hi < suppression.THRESHOLD - 1 - 1e-9
        pinned += hi - lo < 1e-9
    return len(small), narrowed, pinned


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=240)
    ap.add_argument("--municipalities", type=int, default=50)
    ap.add_argument("--year", type=int, default=2026)
    ap.add_argument("--flags", action="store_true", help="measure what the flags of the municipality tables tell")
    args = ap.parse_args(argv)
    print(f"machine: {machine()}\ncommit: {commit()}\n{load_note()}")
    facts = seeded_facts(args.people, args.municipalities, args.year)
    print(f"{args.people} people, {len(facts)} facts, {args.municipalities} municipalities, 11 Missions")
    print(f"{'indicator':26} {'breakdown':14} {'ms':>8} {'solves':>7} {'rounds':>6} {'hidden':>7}")
    total = suppression.Stats()
    t_all = 0.0
    for ind in cat.CATALOGUE.for_mode("sector"):
        for columns in ind.dimensions:
            table, stats, seconds = protected(facts, ind, parse(str(args.year)), columns)
            total.add(stats)
            t_all += seconds
            if table is None:
                print(f"{ind.name:26} {columns:14} {'below the threshold':>30}")
                continue
            flags = [f for block in [*table["protected"]["missions"].values(), table["protected"]["sector"]]
                     for f in [*block["cells"].values(), block["total"]]]  # fmt: skip
            print(
                f"{ind.name:26} {columns:14} {seconds * 1000:8.0f} {stats.solves:7} {stats.rounds:6} "
                f"{sum(f is not None for f in flags):7}"
            )
    print(f"all: {t_all:.2f} s, {total.solves} solves, {total.rounds} rounds; {load_note()}")
    if args.flags:
        for ind in cat.CATALOGUE.for_mode("sector"):
            if "municipality" in ind.dimensions and ind.counts != cat.ENTITIES:
                try:
                    small, narrowed, pinned = flag_leaks(facts, ind, parse(str(args.year)), "municipality")
                except ValidationFailed:
                    continue
                print(f"{ind.name} by municipality, flags used: {small} small cells hidden, {narrowed} narrowed "
                      f"below 1 … {suppression.THRESHOLD - 1}, {pinned} pinned to one value")  # fmt: skip


if __name__ == "__main__":
    main()
