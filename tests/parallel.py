"""One test pass as several pytest processes side by side: ``python -m tests.parallel --jobs 3 -- [PYTEST ARGS…]``.

Most of a pass is spent waiting on the broker, on site processes starting and on the browser, not on the CPU: on
the 2-core machine one pytest process kept the cores busy less than half of the time. So the pass's test files are
shared among ``--jobs`` pytest processes, each a plain ``python -m pytest FILE…`` exactly as a pass of one would run
them (same ``-m`` expression, same markers, module-scoped fixtures kept within their module), all on the pass's
broker node (``tests.reliability.broker_node``). pytest-xdist is not used: its workers talk to the controller through
threads that eventlet's monkey-patching (the root ``conftest.py``) stops.

Files are handed out longest first (``WEIGHTS``: seconds measured on the 2-core machine; a file not listed counts
as ``DEFAULT_WEIGHT``), the short ones packed together so that each process's own start (imports, collection) is paid
once per pack. Each process writes its test outcomes and durations to a file of its own (``conftest.py``,
``PASSERELLE_TEST_REPORT``); at the end the pass prints the outcome of every file, the whole output of any process that
failed, the totals, and its slowest test phases (``--durations``). The exit status is pytest's: 0 when every process
passed (or found nothing selected), 1 when a test failed, the first other status otherwise.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTPATHS = ("tests", "services")

# Seconds each file's pytest process took in a SQLite pass of three processes at load average 9-16 (several times a
# quiet machine's; the fault run, PostgreSQL only, estimated). Only the order matters: the longest start first, so
# that none is left running alone at the end. A file not listed counts as ``DEFAULT_WEIGHT`` in tests/integration and
# tests/reliability (a new integration test starts early, alone), ``SHORT`` elsewhere.
WEIGHTS = {
    "tests/integration/test_gateway_schemathesis.py": 1030,
    "tests/web/test_front_office.py": 860,
    "tests/reliability/test_faults.py": 400,
    "tests/integration/test_beneficiary_path.py": 310,
    "tests/integration/test_employer.py": 305,
    "tests/integration/test_references.py": 220,
    "tests/integration/test_stock_machine.py": 205,
    "tests/integration/test_platform_up.py": 185,
    "tests/integration/test_delivery_guarantees.py": 175,
    "tests/integration/test_matching_service.py": 165,
    "tests/integration/test_service_rpc.py": 150,
    "tests/integration/test_sector_key_rotation.py": 130,
    "tests/integration/test_reporting.py": 135,
    "tests/integration/test_retention.py": 130,
    "tests/integration/test_corrections.py": 110,
    "tests/integration/test_subject_access.py": 105,
    "tests/integration/test_gateway.py": 125,
    "tests/integration/test_search_and_due.py": 125,
    "tests/integration/test_convention.py": 110,
    "tests/integration/test_production_mode.py": 100,
    "tests/integration/test_site_start.py": 85,
    "tests/integration/test_agency_delivery.py": 80,
    "tests/integration/test_rpc_timeouts.py": 70,
    "tests/integration/test_broker_topology.py": 60,
    "tests/integration/test_batch_handlers.py": 60,
    "tests/deploy/test_prometheus.py": 60,
    "tests/integration/test_bounded_work.py": 45,
    "tests/integration/test_vacancy_posts.py": 45,
    "tests/integration/test_agency_inbound.py": 90,
    "tests/integration/test_partners.py": 70,
    "tests/integration/test_meetings.py": 70,
    "tests/integration/test_orientations.py": 55,
    "tests/integration/test_referrals.py": 55,
    "tests/integration/test_shared_rate_limit.py": 40,
    "tests/integration/test_config_errors.py": 40,
    "tests/deploy/test_definitions.py": 40,
    "tests/deploy/test_restore_drill.py": 30,
    "tests/contract/test_platform_documents.py": 20,
}
# Files whose tests are shared between processes, each starting the module's platform for its share: one process
# per ``-k`` expression, and one for every test none of them selects (so a test added later still runs).
SPLITS = {
    "tests/integration/test_gateway_schemathesis.py": ["director or project_lead or actiris or forem"],
}
SHORT = 15  # every other file of tests/unit, tests/contract, tests/deploy, tests/web and the services' tests
DEFAULT_WEIGHT = 150
# Files shorter than this share a process, up to this many seconds in all. Each pytest process costs some seconds
# of CPU to start (imports, collection) on a pass that is bound by CPU: fewer, fuller packs.
PACK = 240


@dataclass
class Pack:
    files: list[str]
    weight: float
    select: list[str] = field(default_factory=list)  # pytest arguments of this pack only (-k EXPR)
    index: int = 0
    proc: subprocess.Popen | None = None
    started: float = 0.0
    elapsed: float = 0.0
    output: Path = Path()
    report: Path = Path()
    status: int | None = None
    outcomes: Counter = field(default_factory=Counter)


TAKES_VALUE = {"-m", "-k", "-p", "-o", "-c", "--basetemp", "--rootdir", "--deselect", "--ignore", "--timeout"}


def split_paths(pytest_args: list[str]) -> tuple[list[str], list[str]]:
    """Paths and test ids given among pytest's arguments (``make test PYTEST_ARGS=tests/x.py``) are files to share
    out, not arguments of every process."""
    paths, rest = [], []
    for i, arg in enumerate(pytest_args):
        value_of_option = i > 0 and pytest_args[i - 1] in TAKES_VALUE
        if not arg.startswith("-") and not value_of_option and (ROOT / arg.split("::")[0]).exists():
            paths.append(arg)
        else:
            rest.append(arg)
    return paths, rest


def test_files(paths: list[str]) -> list[str]:
    """The test files under ``paths`` (pytest's ``python_files`` default: ``test_*.py``), relative to the root;
    a test id (``file::test``) is kept as it is."""
    found = []
    ids = [path for path in paths if "::" in path]
    for path in paths:
        where = (ROOT / path).resolve()
        if "::" in path:
            continue
        if where.is_file():
            found.append(where)
        else:
            found += [p for p in where.rglob("test_*.py") if "node_modules" not in p.parts]
    return sorted({p.relative_to(ROOT).as_posix() for p in found}) + ids


def conftest_lists() -> dict[str, tuple[str, ...]]:
    """``tests/conftest.py``'s tuples of paths by name, read without importing it."""
    tree = ast.parse((ROOT / "tests" / "conftest.py").read_text())
    lists = {
        target.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    return lists


def one_database() -> dict[str, tuple[str, ...]]:
    """``tests/conftest.py``'s lists of the files that run in one pass only (marker → paths)."""
    lists = conftest_lists()
    tree = ast.parse((ROOT / "tests" / "conftest.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "ONE_DATABASE" for t in node.targets):
            return {key.value: lists[value.id] for key, value in zip(node.value.keys, node.value.values, strict=True)}
    return {}


def selected(files: list[str], pytest_args: list[str]) -> list[str]:
    """Without the files ``-m "not MARKER"`` deselects whole (a one-database marker): a process would start for
    nothing."""
    marks = [pytest_args[i + 1] for i, arg in enumerate(pytest_args[:-1]) if arg == "-m"]
    lists = one_database()
    left_out = tuple(p for mark in marks for name, paths in lists.items() if mark == f"not {name}" for p in paths)
    kept = conftest_lists().get("ON_BOTH_DATABASES", ())
    return [f for f in files if not f.startswith(left_out) or f.startswith(kept)] if left_out else files


def weight(path: str) -> float:
    if path in WEIGHTS:
        return WEIGHTS[path]
    return DEFAULT_WEIGHT if path.startswith(("tests/integration/", "tests/reliability/")) else SHORT


def packs(files: list[str]) -> list[Pack]:
    """Long files alone (split by ``SPLITS``), short ones packed up to ``PACK`` seconds; longest first."""
    alone = []
    for f in (f for f in files if weight(f) >= PACK):
        shares = SPLITS.get(f, [])
        if not shares:
            alone.append(Pack([f], weight(f)))
            continue
        rest = "not (" + " or ".join(f"({e})" for e in shares) + ")"
        alone += [Pack([f], weight(f) / (len(shares) + 1), ["-k", e]) for e in [*shares, rest]]
    short = sorted((f for f in files if weight(f) < PACK), key=weight, reverse=True)
    packed: list[Pack] = []
    for f in short:
        target = next((p for p in packed if p.weight + weight(f) <= PACK), None)
        if target is None:
            packed.append(Pack([f], weight(f)))
        else:
            target.files.append(f)
            target.weight += weight(f)
    ordered = sorted(alone + packed, key=lambda p: p.weight, reverse=True)
    for i, pack in enumerate(ordered, start=1):
        pack.index = i
    return ordered


def start(pack: Pack, pytest_args: list[str], scratch: Path) -> None:
    folder = scratch / f"p{pack.index:03d}"
    folder.mkdir()
    pack.output, pack.report = folder / "output.txt", folder / "report.jsonl"
    env = dict(os.environ, PASSERELLE_TEST_REPORT=str(pack.report))
    argv = [sys.executable, "-m", "pytest", "-q", "--durations=0", "--durations-min=3600", *pytest_args]
    argv += [*pack.select, "--basetemp", str(folder / "tmp"), *pack.files]
    with open(pack.output, "wb") as out:
        pack.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    pack.started = time.monotonic()


def read_lines(pack: Pack) -> list[dict]:
    if not pack.report.exists():
        return []
    return [json.loads(line) for line in pack.report.read_text().splitlines() if line.strip()]


def read_report(pack: Pack) -> list[dict]:
    """The test phases a pack's process reported (``conftest.py``)."""
    return [line for line in read_lines(pack) if "nodeid" in line]


def cpu_by_file(packs_done: list[Pack]) -> Counter:
    """CPU seconds each test file cost: its tests' own and those of the processes they started and waited for."""
    spent: Counter = Counter()
    for pack in packs_done:
        for line in read_lines(pack):
            if "cpu_of" in line:
                spent[line["cpu_of"].split("::")[0]] += line["cpu"]
    return spent


def outcomes(phases: list[dict]) -> Counter:
    """pytest's own counting: a test fails or errs in any phase, else is skipped in setup or call, else passes."""
    by_test: dict[str, list[dict]] = {}
    for phase in phases:
        by_test.setdefault(phase["nodeid"], []).append(phase)
    counts: Counter = Counter()
    for reports in by_test.values():
        if any(r["outcome"] == "failed" and r["when"] == "call" for r in reports):
            counts["failed"] += 1
        elif any(r["outcome"] == "failed" for r in reports):
            counts["error"] += 1
        elif any(r["outcome"] == "skipped" for r in reports):
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    own, pytest_args = (args[: args.index("--")], args[args.index("--") + 1 :]) if "--" in args else (args, [])
    parser = argparse.ArgumentParser(prog="python -m tests.parallel", description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("PASSERELLE_TEST_JOBS", "3")))
    parser.add_argument("--durations", type=int, default=15, help="how many of the slowest test phases to print")
    parser.add_argument("paths", nargs="*", help=f"files or folders (default: {' '.join(TESTPATHS)})")
    options = parser.parse_args(own)

    given, pytest_args = split_paths(pytest_args)
    todo = packs(selected(test_files(options.paths + given or list(TESTPATHS)), pytest_args))
    scratch = Path(tempfile.mkdtemp(prefix="passerelle-pass-"))
    began, load = time.monotonic(), os.getloadavg()
    print(
        f"{len(todo)} pytest processes, {options.jobs} at a time; load average {load[0]:.1f} {load[1]:.1f}", flush=True
    )
    running: list[Pack] = []
    done: list[Pack] = []

    def stop_all(*_):
        # SIGINT, as a Ctrl-C would: each pytest process tears its fixtures down (sites, vhosts, databases).
        alive = [p.proc for p in running if p.proc and p.proc.poll() is None]
        for proc in alive:
            proc.send_signal(signal.SIGINT)
        for proc in alive:
            try:
                proc.wait(90)
            except subprocess.TimeoutExpired:
                proc.kill()
        raise SystemExit(130)

    signal.signal(signal.SIGTERM, stop_all)
    queue = list(todo)
    try:
        while queue or running:
            while queue and len(running) < options.jobs:
                pack = queue.pop(0)
                start(pack, pytest_args, scratch)
                running.append(pack)
            time.sleep(0.2)
            for pack in [p for p in running if p.proc and p.proc.poll() is not None]:
                running.remove(pack)
                pack.status = pack.proc.returncode if pack.proc else None
                pack.elapsed = time.monotonic() - pack.started
                pack.outcomes = outcomes(read_report(pack))
                done.append(pack)
                counts = ", ".join(f"{n} {k}" for k, n in sorted(pack.outcomes.items())) or "nothing selected"
                print(
                    f"[{len(done)}/{len(todo)}] {pack.elapsed:5.0f} s  {counts:<24} {' '.join(pack.files)}", flush=True
                )
    except KeyboardInterrupt:
        stop_all()  # the pytest processes, in the same process group, had the Ctrl-C too

    failed = [p for p in done if p.status not in (0, 5)]
    for pack in failed:
        print(f"\n===== status {pack.status}: {' '.join(pack.files + pack.select)} =====", flush=True)
        print(pack.output.read_text(errors="replace"), flush=True)

    phases = [phase for pack in done for phase in read_report(pack)]
    total = outcomes(phases)
    slowest = sorted(phases, key=lambda r: r["duration"], reverse=True)[: options.durations]
    if slowest:
        print(f"\n===== slowest {len(slowest)} test phases =====")
        for r in slowest:
            print(f"{r['duration']:8.2f}s {r['when']:<8} {r['nodeid']}")
    spent = cpu_by_file(done)
    if spent:
        print(f"\n===== CPU by test file: {sum(spent.values()):.0f} s in all; the {options.durations} costliest =====")
        for path, seconds in spent.most_common(options.durations):
            print(f"{seconds:8.1f}s {path}")
    wall, load = time.monotonic() - began, os.getloadavg()
    summary = ", ".join(f"{n} {k}" for k, n in sorted(total.items())) or "no test ran"
    print(
        f"\n===== {summary} in {wall:.0f} s ({int(wall // 60)} min {int(wall % 60):02d} s), {len(todo)} processes, "
        f"{options.jobs} at a time; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} =====",
        flush=True,
    )
    if failed:
        print("failed: " + "; ".join(" ".join(p.files + p.select) for p in failed), flush=True)
        print(f"outputs and test folders kept in {scratch}", flush=True)
        return 1 if any(p.status == 1 for p in failed) else next(p.status or 1 for p in failed)
    shutil.rmtree(scratch, ignore_errors=True)
    return 0 if total else 5


if __name__ == "__main__":
    raise SystemExit(main())
