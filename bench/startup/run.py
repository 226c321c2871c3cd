"""Cold start benchmark: the whole platform (eleven Missions, InterMire, the gateway) to all-ready.

    python -m bench.startup.run [--runs 2] [--warm 3] [--no-clone] [--no-write]
    python -m bench.startup.run --node-only   # the embedded node alone, with and without management
    python -m bench.startup.run --node-launch # the node alone, launched as RabbitMQ's defaults would and as now

On a private RabbitMQ node started for the run, with a registry of its own
(the real ``config/missions.yaml`` sites, a prefix, a scratch data folder,
SQLite), it times ``passerelle up`` from the moment the broker answers to the
gateway reporting every site ready: broker setup and migrations, beside them
the launcher importing the sites' code once, then twelve site processes and
the gateway forked from it (``runtime.launcher``; its own timings are noted).
The first run is the very first start (56 databases created by Alembic,
every vhost declared); the next ones start again on what exists, as after a
reboot. Baseline, same run: one Mission's site alone (``run-site``, already
migrated) to ready.

Prints the figures and adds them to ``bench/results/startup.md`` (earlier sections stay).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
import yaml

from bench.report import ROOT, Section, load_note

RESULT = ROOT / "bench" / "results" / "startup.md"
GOAL = 8.0
FIRST_GOAL = 90.0  # issue: a newcomer's first start, install included


def write_registry(scratch: Path, broker) -> Path:
    from tests.harness import free_port, free_port_block

    base = yaml.safe_load((ROOT / "config" / "missions.yaml").read_text())
    from kit import registry as registry_module

    default = registry_module.load()
    doc = {
        "platform": {
            **{k: v for k, v in default.platform.items() if k in ("services", "database_pool_size", "rpc_timeout")},
            "data_dir": str(scratch / "data"),
            "prefix": f"b{uuid.uuid4().hex[:6]}-",
            "database_url": "sqlite:///{data_dir}/{site}/{service}.sqlite",
            "broker": {
                **default.broker,
                "embedded": False,
                "port": broker.port,
                "management_url": broker.management_url,
            },
            "gateway": {"host": "127.0.0.1", "port": free_port()},
            "observability_port_base": free_port_block(len(base["sites"])),
        },
        "sites": base["sites"],
    }
    path = scratch / "registry.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return path


def passerelle(registry: Path, *args, timeout: float = 300, check: bool = True) -> tuple[float, str, int]:
    t = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "runtime.cli", "--registry", str(registry), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"passerelle {' '.join(args)} failed: {done.stdout[-1500:]}{done.stderr[-1500:]}")
    return time.monotonic() - t, done.stdout, done.returncode


def launcher_times(registry: Path) -> str:
    """The launcher's own account of the last start: its preload and its forks."""
    log = registry.parent / "data" / "log" / "launcher.log"
    text = log.read_text(errors="replace") if log.exists() else ""
    preload = re.findall(r"preloaded \d+ processes' code in ([0-9.]+)s", text)
    forks = re.findall(r"forked \d+ processes in ([0-9.]+)s", text)
    if not preload or not forks:
        return ""
    return f"; launcher: preload {preload[-1]} s (beside migrations and broker setup), forks {forks[-1]} s"


def timed_up(registry: Path, timeout: float = 90) -> tuple[float, int, list[str], float | None, str]:
    """``passerelle up``: (seconds, sites, sites not ready when it gave up, ``up``'s own all-ready time or None,
    the launcher's timings)."""
    elapsed, out, _code = passerelle(registry, "up", "--timeout", str(timeout), check=False, timeout=timeout + 120)
    missing = re.findall(r"^(\w+)\s+NOT READY", out, re.M)
    total = len(re.findall(r"^\w+\s+(?:ready|NOT READY)\s", out, re.M))
    reported = re.search(r"all \d+ sites ready in ([0-9.]+)s", out)
    return elapsed, total, missing, float(reported.group(1)) if reported else None, launcher_times(registry)


def one_site(registry: Path, code: str = "mirec") -> float:
    from tests.harness import free_port

    port = free_port()
    log = open(registry.parent / "one-site.log", "wb")
    t = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "runtime.cli",
            "--registry",
            str(registry),
            "run-site",
            code,
            "--observability-port",
            str(port),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        while time.monotonic() - t < 120:
            if proc.poll() is not None:
                raise RuntimeError(f"run-site {code} exited with {proc.returncode}")
            try:
                if requests.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                    return time.monotonic() - t
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError("one site never became ready")
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def node_alone(scratch: Path, rounds: int = 2) -> dict[bool, list[tuple[float, float]]]:
    """The embedded node by itself, on the whole topology (its definitions file, imported at its first boot),
    booted and stopped with and without the management plugins, alternately, so that both see the same load:
    management → [(seconds to an AMQP handshake, seconds to a clean stop)] of the warm boots."""
    from kit import registry as registry_module
    from kit.definitions import node_definitions
    from runtime.rabbit_node import Node
    from tests.harness import free_port_block

    reg = registry_module.load(environ={**os.environ, "PASSERELLE_ENV": "development"})
    figures: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for management in (True, False):
        base = free_port_block(4)
        folder = scratch / f"node-{'management' if management else 'shovel'}"
        node = Node(folder, f"bench-{uuid.uuid4().hex[:6]}@localhost", base, base + 1, base + 2, base + 3)
        node.management, node.definitions = management, folder / "definitions.json"
        node.write_definitions(node_definitions(reg))
        node.start(timeout=180).stop(keep_data=True)  # the first boot imports the topology: not timed
        figures[management].append(node)
    nodes = {m: figures[m].pop() for m in figures}
    for _ in range(rounds):
        for management, node in nodes.items():
            t = time.monotonic()
            node.start(timeout=180)
            booted = time.monotonic() - t
            t = time.monotonic()
            node.stop(keep_data=True)
            figures[management].append((booted, time.monotonic() - t))
    return figures


def _cpu_seconds(pid: int | None) -> float:
    """User and system CPU of ``pid`` and of the children it has reaped (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def node_launches(scratch: Path, rounds: int = 3) -> dict[bool, list[tuple[float, float, float]]]:
    """The embedded node on the whole topology, booted alternately as RabbitMQ's scripts launch it by default
    (its prelaunch starts the distribution, a second VM for the port mapper, every plugin's schema, busy-waiting
    schedulers) and as ``Node.launch`` does now (``Node.server_env``), on the same data: tuned → [(seconds to an
    AMQP handshake, CPU seconds of the node's VM and the children it reaped by then, load)]."""
    from kit import registry as registry_module
    from kit.definitions import node_definitions
    from runtime.rabbit_node import Node
    from tests.harness import free_port_block

    class Untuned(Node):
        def server_env(self, plugins=None) -> dict:
            return self.env()

        def _plugins_dir(self):
            return None

    reg = registry_module.load(environ={**os.environ, "PASSERELLE_ENV": "development"})
    base = free_port_block(4)
    name = f"bench-{uuid.uuid4().hex[:6]}@localhost"
    nodes = {
        tuned: (Node if tuned else Untuned)(
            scratch / "node", name, base, base + 1, base + 2, base + 3, management=False
        )
        for tuned in (False, True)
    }
    for node in nodes.values():
        node.definitions = scratch / "node" / "definitions.json"
    nodes[True].write_definitions(node_definitions(reg))
    nodes[True].start(timeout=300).stop(keep_data=True)  # the first boot imports the topology: not timed
    figures: dict[bool, list[tuple[float, float, float]]] = {False: [], True: []}
    for _ in range(rounds):
        for tuned, node in nodes.items():
            t = time.monotonic()
            node.start(timeout=300)
            booted = time.monotonic() - t
            cpu = _cpu_seconds(node.pid)
            node.stop(keep_data=True)
            figures[tuned].append((booted, cpu, os.getloadavg()[0]))
    return figures


def fresh_clone(scratch: Path, warm_runs: int = 3) -> dict:
    """A newcomer's first minutes: clone, ``make install``, first ``up`` (the embedded default: its own
    RabbitMQ node, 56 databases, the topology), ``down``, a warm ``up`` and ``down`` again. Free ports, so a
    platform already running on the machine is not disturbed. Seconds per step, wall clock."""
    from tests.harness import free_port, free_port_block

    clone = scratch / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    amqp = free_port_block(4)
    env = {
        **os.environ,
        "PASSERELLE_ENV": "development",
        "PASSERELLE_BROKER_PORT": str(amqp),
        "PASSERELLE_BROKER_MANAGEMENT_URL": f"http://127.0.0.1:{amqp + 1}",
        "PASSERELLE_BROKER_DIST_PORT": str(amqp + 2),
        "PASSERELLE_BROKER_CTL_PORT": str(amqp + 3),
        "PASSERELLE_GATEWAY_PORT": str(free_port()),
        "PASSERELLE_WEB_PORT": str(free_port()),
        "PASSERELLE_OBSERVABILITY_PORT_BASE": str(free_port_block(12)),
    }
    env.pop("VIRTUAL_ENV", None)
    figures = {}

    def step(name: str, *cmd: str, timeout: float = 600) -> str:
        t = time.monotonic()
        done = subprocess.run(cmd, cwd=clone, env=env, capture_output=True, text=True, timeout=timeout)
        figures[name] = time.monotonic() - t
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stdout[-1500:]}{done.stderr[-1500:]}")
        return done.stdout

    try:
        step("install", "make", "install")
        step("first up", ".venv/bin/passerelle", "up", "--timeout", "120")
        step("down after the first up", ".venv/bin/passerelle", "down")
        # A warm start is short enough for the machine's load to move it: several, each with the load it met.
        for i in range(warm_runs):
            load = os.getloadavg()[0]
            out = step(f"warm up {i}", ".venv/bin/passerelle", "up", "--timeout", "120")
            phases = re.search(r"sites ready in [0-9.]+s \(([^)]*)\)", out)
            figures.setdefault("warm ups", []).append(
                (figures.pop(f"warm up {i}"), load, phases.group(1) if phases else "")
            )
            step(f"down {i}", ".venv/bin/passerelle", "down")
            figures.setdefault("downs", []).append(figures.pop(f"down {i}"))
    finally:
        if (clone / ".venv" / "bin" / "passerelle").exists():
            subprocess.run([".venv/bin/passerelle", "down"], cwd=clone, env=env, capture_output=True, timeout=120)
    return figures


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=2, help="starts: the first on nothing, the others on what exists")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--no-clone", action="store_true", help="leave out the fresh clone's install, up and down")
    ap.add_argument("--warm", type=int, default=3, help="warm up/down pairs on the fresh clone")
    ap.add_argument(
        "--node-only", action="store_true", help="only the embedded node alone, with and without management"
    )
    ap.add_argument(
        "--node-launch",
        action="store_true",
        help="only the embedded node alone, launched as RabbitMQ's defaults would and as now, alternately",
    )
    args = ap.parse_args(argv)
    from tests.reliability.broker_node import BrokerNode

    before = load_note()
    scratch = Path(tempfile.mkdtemp(prefix="passerelle-bench-startup-"))
    if args.node_only:
        return write_node_section(node_alone(scratch), before, argv, args.no_write)
    if args.node_launch:
        return write_launch_section(node_launches(scratch), before, argv, args.no_write)
    broker = BrokerNode(scratch / "broker").start()
    starts = []
    try:
        registry = write_registry(scratch, broker)
        for _ in range(args.runs):
            starts.append(timed_up(registry))
            passerelle(registry, "down")
        # Baseline: one Mission's site alone, its databases and vhost already there.
        single = one_site(registry)
        clone = {} if args.no_clone else fresh_clone(scratch, args.warm)
    finally:
        try:
            passerelle(scratch / "registry.yaml", "down")
        except Exception:
            pass
        broker.stop()
    after = load_note()
    section = Section("Cold start: the whole platform to all-ready", "bench.startup.run", argv)
    section.note(
        f"Private RabbitMQ node, SQLite, the {starts[0][1]} sites of `config/missions.yaml` and the "
        f"gateway; timed from `passerelle up` (the broker already answering) to the gateway's "
        f"`/health` reporting every site ready. Load on the machine: {before} at start, {after} at the end."
    )

    def figure(elapsed: float, total: int, missing: list[str], reported: float | None, launcher: str) -> str:
        if missing:
            return (
                f"**not all-ready**: {', '.join(missing)} of {total} sites not ready when `up` gave up after "
                f"{elapsed:.0f} s (see the sites' logs)"
            )
        own = f" (`up` itself reports {reported:.1f} s{launcher})" if reported else ""
        return f"**{elapsed:.1f} s**{own} · {elapsed / single:.1f}× one site alone · {elapsed / GOAL:.2f}× the goal"

    section.row(
        f"first start ever (56 databases migrated, topology declared) (goal ≤ {GOAL:.0f} s)", figure(*starts[0])
    )
    for i, start in enumerate(starts[1:], 2):
        section.row(f"start #{i}, on existing databases and topology (goal ≤ {GOAL:.0f} s)", figure(*start))
    section.row("baseline: one Mission's site alone (`run-site mirec`, five services) to ready", f"{single:.1f} s")
    if clone:
        first = clone["install"] + clone["first up"]
        section.row(
            f"fresh clone, `make install` then the first `passerelle up` to all-ready, the embedded "
            f"default with its own RabbitMQ node (goal ≤ {FIRST_GOAL:.0f} s)",
            f"**{first:.1f} s** (install {clone['install']:.1f} s, up {clone['first up']:.1f} s) · "
            f"{first / FIRST_GOAL:.2f}× the goal",
        )
        warm = sorted(clone["warm ups"])
        median = warm[len(warm) // 2][0]
        section.row(
            f"the same clone, warm `passerelle up` to all-ready, its node started again (goal ≤ {GOAL:.0f} s), "
            f"{len(warm)} runs",
            f"**{median:.1f} s** median · {median / GOAL:.2f}× the goal · each run: "
            + "; ".join(f"{t:.1f} s at load {load:.1f} ({phases})" for t, load, phases in clone["warm ups"]),
        )
        downs = sorted(clone["downs"])
        section.row(
            "`passerelle down`: twelve sites, the gateway, the front office and the node (goal ≤ 5 s)",
            f"**{downs[len(downs) // 2]:.1f} s** median (each: {', '.join(f'{d:.1f}' for d in clone['downs'])} s; "
            f"after the first up: {clone['down after the first up']:.1f} s)",
        )
        section.note(
            "The fresh clone's install (uv, as the Makefile runs it) reuses uv's download cache where the machine "
            "has one (a machine that never downloaded the packages adds their download)."
        )
    text = section.render()
    print(text)
    if not args.no_write:
        # Each run adds its section: earlier ones stay, to compare with.
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        if RESULT.exists():
            # Under the area's one heading, a run is a subsection named by its date and commit.
            heading, _, rest = text.partition("\n\n")
            when, _, body = rest.partition("\n\n")
            text = RESULT.read_text(encoding="utf-8").rstrip() + f"\n\n### {when}\n\n" + body
        RESULT.write_text(text, encoding="utf-8")
    return 0


def write_node_section(figures: dict, before: str, argv, no_write: bool) -> int:
    section = Section(
        "Cold start: the embedded node alone, with and without the management plugins", "bench.startup.run", argv
    )
    section.note(
        "The embedded node on the whole topology (441 quorum queues, loaded from its definitions file at its "
        "first boot, not timed), warm boots and clean stops alternating between the two configurations so "
        f"that both meet the same load. Load on the machine: {before} at start, {load_note()} at the end."
    )
    for management, label in ((True, "with the management plugins (before)"), (False, "shovel plugin only (now)")):
        runs = figures[management]
        section.row(
            f"node {label}: warm boot to ready (AMQP handshake, and the API with management) · clean stop",
            " · ".join(f"{boot:.1f} s · **{stop:.1f} s**" for boot, stop in runs),
        )
    return _emit(section.render(), no_write)


def write_launch_section(figures: dict, before: str, argv, no_write: bool) -> int:
    section = Section("Cold start: the embedded node alone, launched as before and as now", "bench.startup.run", argv)
    section.note(
        "The embedded node on the whole topology (441 quorum queues, loaded from its definitions file at its "
        "first boot, not timed), warm boots alternating between RabbitMQ's default launch and `Node.server_env`'s "
        "(distribution started by the VM: no second VM for the port mapper; only the plugins it runs; no "
        "busy-waiting schedulers), on the same data. CPU: the node's VM and the children it reaped, at its first "
        f"handshake. Load on the machine: {before} at start, {load_note()} at the end."
    )
    for tuned, label in ((False, "RabbitMQ's default launch (before)"), (True, "`Node.server_env` (now)")):
        runs = figures[tuned]
        cpu = sorted(c for _, c, _ in runs)
        section.row(
            f"node, {label}: warm boot to an AMQP handshake · CPU seconds · load (1 min)",
            "; ".join(f"{boot:.1f} s · **{c:.2f} s CPU** · {load:.1f}" for boot, c, load in runs)
            + f" (CPU median **{cpu[len(cpu) // 2]:.2f} s**)",
        )
    return _emit(section.render(), no_write)


def _emit(text: str, no_write: bool) -> int:
    print(text)
    if not no_write:
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        if RESULT.exists():
            heading, _, rest = text.partition("\n\n")
            when, _, body = rest.partition("\n\n")
            text = RESULT.read_text(encoding="utf-8").rstrip() + f"\n\n### {heading.lstrip('# ')}, {when}\n\n" + body
        RESULT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore")
    raise SystemExit(main())
