"""The benchmark suite: ``python -m bench`` (``make bench``) runs every area and writes BENCHMARKS.md.

    python -m bench [--only events,startup] [--quick] [--assemble-only]

Each area is a module ``bench/<area>/run.py`` whose ``main()`` prints its
figures and writes a markdown section to ``bench/results/<area>.md``; each is
run here in its own process (an area may start brokers, services or two
threads of numpy), one after the other so that they do not compete for the
two cores. BENCHMARKS.md is then assembled from every ``bench/results/*.md``
under a header naming the machine, commit, date and command. It leads with
today's figures: of each area, only the latest run of each kind (a section
whose heading carries a date; "kind" is the heading without its date and
commit, e.g. the reporting benchmark's two scales), newest first; the earlier
runs stay in ``bench/results/<area>.md`` and are counted beside a link.

``--quick`` runs each area at a small scale (to check the suite works, not
to publish figures). The matching area is the exception: at small scale its
quality figures mean little and its full run takes about fifteen minutes of
both cores, so ``--quick`` keeps its last full section unless ``--only
matching`` asks for it (at small scale).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.report import commit, load_note, machine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
# The order of BENCHMARKS.md; areas found later in bench/ are run and shown after these.
AREAS = ["gateway", "events", "matching", "reporting", "startup"]
QUICK = {
    "events": ["--events", "3000", "--baseline-events", "5000"],
    "startup": ["--runs", "2"],
    "matching": [
        "--candidates",
        "20000",
        "--vacancies",
        "5000",
        "--queries",
        "200",
        "--baseline-queries",
        "20",
        "--batch",
        "1000",
    ],
}
INTRO = """Today's figures: the latest run of each benchmark, printed by the committed commands, each beside a
baseline measured in the same run, with the machine and the commit they ran on (earlier runs are kept in
`bench/results/`). Nothing here is asserted by a test. The reference machine has two cores, shared while these
ran with other engineers' test runs: each section notes the load it saw, and its figures are pessimistic
accordingly. Each section comes from `bench/results/<area>.md`, written by `python -m bench.<area>.run`.
"""


def areas_present() -> list[str]:
    found = sorted(p.parent.name for p in (ROOT / "bench").glob("*/run.py"))
    return [a for a in AREAS if a in found] + [a for a in found if a not in AREAS]


def area_args(area: str, quick: bool) -> list[str]:
    if not quick:
        return []
    if area in QUICK:
        return QUICK[area]
    # Areas written elsewhere may offer their own --quick.
    help_text = subprocess.run(
        [sys.executable, "-m", f"bench.{area}.run", "--help"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    return ["--quick"] if "--quick" in help_text else []


def run_area(area: str, args: list[str]) -> int:
    print(f"[{time.strftime('%H:%M:%S')}] bench {area} {' '.join(args)}", file=sys.stderr, flush=True)
    return subprocess.call([sys.executable, "-m", f"bench.{area}.run", *args], cwd=ROOT)


def demote(text: str) -> str:
    """Shift an area's headings so that its top one is a level-2 heading under BENCHMARKS.md's title."""
    lines = text.splitlines()
    fenced, levels = False, []
    for line in lines:
        fenced ^= line.startswith("```")
        if not fenced and re.match(r"#{1,6} ", line):
            levels.append(len(line) - len(line.lstrip("#")))
    shift = 2 - min(levels) if levels else 0
    out, fenced = [], False
    for line in lines:
        fenced ^= line.startswith("```")
        if not fenced and re.match(r"#{1,6} ", line):
            line = "#" * max(1, min(6, len(line) - len(line.lstrip("#")) + shift)) + line.lstrip("#")
        out.append(line)
    return "\n".join(out)


DATED = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}))?")
COMMIT_NOTE = re.compile(r",?\s*commit\s+[0-9a-f]{7,40}( \+ uncommitted changes)?")


def latest_runs(text: str, link: str) -> str:
    """An area's results as BENCHMARKS.md shows them: its introduction, then the latest run of each kind,
    newest first, and how many earlier runs ``link`` keeps."""
    lines, fenced = text.splitlines(), False
    heads = []  # (line index, level, heading text) of the dated headings
    for i, line in enumerate(lines):
        fenced ^= line.startswith("```")
        found = not fenced and re.match(r"(#{1,6}) (.*)", line)
        if found and DATED.search(found.group(2)):
            heads.append((i, len(found.group(1)), found.group(2)))
    if not heads:
        return text
    level = min(h[1] for h in heads)
    heads = [h for h in heads if h[1] == level]
    starts = [h[0] for h in heads] + [len(lines)]
    runs = {}
    for (start, _, title), end in zip(heads, starts[1:], strict=True):
        when = DATED.search(title)
        kind = COMMIT_NOTE.sub("", DATED.sub("", title)).strip(" —-,")
        stamp = (when.group(1), when.group(2) or "")
        if kind not in runs or stamp >= runs[kind][0]:
            runs[kind] = (stamp, "\n".join(lines[start:end]).strip())
    latest = sorted(runs.values(), reverse=True)
    earlier = len(heads) - len(latest)
    intro = "\n".join(lines[: heads[0][0]]).strip()
    note = f"Earlier runs: {earlier} more in [{link}]({link})." if earlier else f"History: [{link}]({link})."
    return "\n\n".join([intro, *(body for _, body in latest), note]) + "\n"


def assemble(command: str) -> Path:
    sections = []
    order = areas_present()
    files = sorted(RESULTS.glob("*.md"), key=lambda p: (order.index(p.stem) if p.stem in order else len(order), p.stem))
    for path in files:
        shown = latest_runs(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
        sections.append(demote(shown).strip() + "\n")
    header = [
        "# Benchmarks",
        "",
        INTRO,
        f"Assembled {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC by `{command}`, commit {commit()}, "
        f"on {machine()}; {load_note()} when assembled.",
        "",
    ]
    out = ROOT / "BENCHMARKS.md"
    out.write_text("\n".join(header) + "\n" + "\n".join(sections), encoding="utf-8")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    ap.add_argument("--only", help=f"comma-separated areas (default: all of {', '.join(areas_present())})")
    ap.add_argument("--quick", action="store_true", help="small scale: checks the suite, not figures to publish")
    ap.add_argument("--assemble-only", action="store_true", help="only rebuild BENCHMARKS.md from bench/results")
    args = ap.parse_args(argv)
    argv = list(argv if argv is not None else sys.argv[1:])
    present = areas_present()
    selected = [a.strip() for a in args.only.split(",")] if args.only else present
    unknown = [a for a in selected if a not in present]
    if unknown:
        ap.error(f"no bench/<area>/run.py for {', '.join(unknown)} (present: {', '.join(present)})")
    failed = []
    if not args.assemble_only:
        for area in selected:
            if args.quick and area == "matching" and not args.only:
                print(
                    "bench matching: kept its last full section (--quick; --only matching to run it)", file=sys.stderr
                )
                continue
            if run_area(area, area_args(area, args.quick)) != 0:
                failed.append(area)
    out = assemble(" ".join(["python -m bench", *argv]))
    print(f"wrote {out.relative_to(ROOT)}" + (f"; areas that failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
