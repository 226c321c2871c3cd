"""How often the ranking cannot tell two results apart, on the real ROME (about half a minute).

    python -m bench.matching.ties [--rome ../shared/data/rome_fr/rome_v347] [--services services/matching]

One person per occupation holding all of its competences (level 2, that
occupation as target), one vacancy per occupation asking for all of them
(level 2, essential as the taxonomy does not say otherwise), no place and no
date: every vacancy sharing a competence is ranked for every person
(``Engine.rank_vacancies``), and each pair of neighbours in a ranking counts
as tied when their scores are exactly equal: the scores the answer shows
(rounded to 4 decimals) and the engine's own (float32, before rounding). ``--services`` points at another
checkout's ``services/matching`` to measure the engine there (before/after).
Only the occupations' competence lists are read, never the ROME's mobility
links between occupations.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ROME = ROOT.parent / "shared" / "data" / "rome_fr" / "rome_v347"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rome", default=str(DEFAULT_ROME))
    ap.add_argument("--services", default=str(ROOT / "services" / "matching"))
    args = ap.parse_args(argv)
    sys.path.insert(0, os.path.abspath(args.services))
    from matching.domain import Engine, Job, Person

    from kit.taxonomy import load

    tax = load(args.rome)
    occupations = sorted(tax.occupations.values(), key=lambda o: o.code)
    people = [
        Person(id=o.code, competences=dict.fromkeys(o.competences, 2), target_occupations=(o.code,))
        for o in occupations
    ]
    jobs = [Job(id=o.code, occupation=o.code, competences=[(c, 2, True) for c in o.competences]) for o in occupations]
    explain = Engine._explain
    # The unrounded score kept beside the answer's (a measuring aid: the engine itself is not changed).
    Engine._explain = lambda self, person, job, score, *rest: {**explain(self, person, job, score, *rest), "raw": score}
    engine = Engine(tax, people, jobs)
    pairs = shown = raw = 0
    for p in people:
        ranked = engine.rank_vacancies(p, limit=len(jobs))
        pairs += max(len(ranked) - 1, 0)
        shown += sum(a["score"] == b["score"] for a, b in zip(ranked, ranked[1:], strict=False))
        raw += sum(a["raw"] == b["raw"] for a, b in zip(ranked, ranked[1:], strict=False))
    print(
        f"adjacent pairs tied: {shown:,} of {pairs:,} ({shown / max(pairs, 1):.1%}) on the scores shown, "
        f"{raw:,} ({raw / max(pairs, 1):.1%}) on the engine's own; "
        f"{len(people)} people × {len(jobs)} vacancies on {Path(args.rome).name}, engine from {args.services}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
