"""Gateway benchmark: HTTP reads through the gateway beside the same read as a bare nameko RPC, in one run.

    python -m bench.gateway.run [--clients 1,8] [--seconds 10] [--warmup 2] [--profile FILE] [--against REF]

Builds a throwaway platform on the broker the environment names
(``PASSERELLE_BROKER_PORT``…, as the tests do: ``tests.harness``), starts
MIREC's employer service as ``passerelle run-site`` does and the gateway as
``passerelle run-gateway`` does (its own process, eventlet's WSGI server),
and registers one employer. Then, for each number of concurrent clients,
the same read (``employer.get`` of that employer) is measured two ways, each
for ``--seconds`` after a warm-up:

* **gateway**: ``GET /missions/mirec/employers/{id}`` over HTTP with a bearer
  token (keep-alive connection per client): authentication, policy, RPC,
  JSON;
* **bare RPC**: a standalone ``ClusterRpcProxy`` per client on the same vhost,
  carrying the same identity in its context data (the service checks it).

Prints the machine, the commit, the command, throughput and p50/p99 latency
of both and their ratio, the CPU time per request of the gateway process and
of the site process (read from /proc around each figure: other work on the
machine does not count in it, unlike in the latencies), and appends a
markdown section to ``bench/results/gateway.md``. Figures are printed, never
asserted. ``--profile FILE`` runs the gateway under ``bench.gateway.sampler``
(CPU-time sampling; it costs the gateway some CPU) and writes where its CPU
went to ``FILE``; such a run writes no section. ``--against REF`` also starts
the gateway as it was at commit ``REF`` (its ``gateway``, ``kit``, ``runtime``
and ``contracts`` unpacked with ``git archive``; the site is this tree's) on
another port, and the two gateways take turns, twice per number of clients,
so that a change is measured against what it replaces in the same minutes.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402
import yaml  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from bench.cpu import CpuMeter  # noqa: E402
from bench.report import commit, machine  # noqa: E402
from gateway.auth import mint  # noqa: E402
from kit.actor import Actor  # noqa: E402
from kit.topology import GATEWAY_USER  # noqa: E402
from runtime.demo import DemoFactory  # noqa: E402
from tests.harness import TestPlatform, free_port, wait_until  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "gateway.md"
AGENT = Actor("bench.agent", "mirec", ("employer_relations",))
GATEWAY, BARE = "gateway (HTTP)", "bare RPC"


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def measure(clients: int, seconds: float, warmup: float, make_client, call, cpu: CpuMeter | None = None) -> dict:
    """``clients`` green threads, each with its own client, calling for ``warmup`` then ``seconds``.

    ``cpu``: read when the measured time starts and ends, its groups' CPU per request is in the answer.
    """
    latencies: list[float] = []
    errors = 0
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    used: dict[str, float] = {}

    def meter():
        if cpu is None:
            return
        eventlet.sleep(max(0.0, measure_from - time.monotonic()))
        cpu.start()
        eventlet.sleep(max(0.0, stop_at - time.monotonic()))
        used.update(cpu.stop())

    def worker():
        nonlocal errors
        client = make_client()
        try:
            while True:
                began = time.perf_counter()
                if time.monotonic() >= stop_at:
                    return
                try:
                    call(client)
                except Exception:
                    errors += 1
                    continue
                done = time.perf_counter()
                if time.monotonic() >= measure_from:
                    latencies.append(done - began)
        finally:
            close = getattr(client, "close", None) or getattr(client, "stop", None)
            if close:
                close()

    pool = eventlet.GreenPool(clients + 1)
    for _ in range(clients):
        pool.spawn(worker)
    pool.spawn(meter)
    pool.waitall()
    latencies.sort()
    return {
        "cpu_us": {name: seconds_used / max(len(latencies), 1) * 1e6 for name, seconds_used in used.items()},
        "requests": len(latencies),
        "errors": errors,
        "per_second": len(latencies) / seconds,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


class _Proxy:
    """A started standalone cluster proxy (one connection, one reply queue) for one client."""

    def __init__(self, uri: str, context: dict):
        self.wrapper = ClusterRpcProxy({"AMQP_URI": uri}, context_data=context, timeout=10)
        self.proxy = self.wrapper.start()

    def stop(self):
        self.wrapper.stop()


def _reference_tree(ref: str, into: Path) -> Path:
    """The gateway's code (and what it imports of the platform) as it was at ``ref``, unpacked into ``into``."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", ref, "gateway", "kit", "runtime", "contracts"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _start_gateway(registry_path: Path, env: dict, log_path: Path, profile: str | None = None, tree: Path = ROOT):
    if profile:
        command_line = ["-m", "bench.gateway.sampler", "--out", str(Path(profile).resolve())]
        command_line += ["--registry", str(registry_path)]
    else:
        command_line = ["-m", "runtime.cli", "--registry", str(registry_path), "run-gateway"]
    if tree != ROOT:  # the reference tree's packages first; the services' own come from this one
        env = dict(env, PYTHONPATH=str(tree))
    return subprocess.Popen(
        [sys.executable, *command_line], stdout=open(log_path, "wb"), stderr=subprocess.STDOUT, env=env, cwd=tree
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", default="1,8", help="numbers of concurrent clients, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per figure")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured time before each figure")
    parser.add_argument("--profile", help="run the gateway under bench.gateway.sampler, its profile to this file")
    parser.add_argument(
        "--against",
        metavar="REF",
        help="also measure the gateway as it was at this commit, in the same run, taking turns with this one",
    )
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.clients.split(",")]
    command = "python -m bench.gateway.run " + " ".join(argv if argv is not None else sys.argv[1:])

    tmp = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    platform = TestPlatform(tmp, missions=("mirec",), intermire=False).setup()
    gateways: dict[str, tuple[subprocess.Popen, str]] = {}  # path name -> (process, base URL)
    try:
        platform.start("mirec", services=["employer"])
        employer = platform.rpc("mirec", "employer", "register", DemoFactory(seed=7).employer("50000"), actor=AGENT)
        env = dict(
            os.environ,
            PASSERELLE_RATE_PER_SECOND="1000000",
            PASSERELLE_RATE_BURST="1000000",
            PASSERELLE_RPC_POOL_SIZE=str(max(counts)),
        )
        proc = _start_gateway(platform.registry_path, env, tmp / "gateway.log", args.profile)
        gateways[GATEWAY] = (proc, f"http://127.0.0.1:{platform.gateway_port}")
        if args.against:
            tree = _reference_tree(args.against, tmp / "reference")
            document = yaml.safe_load(platform.registry_path.read_text())
            port = free_port()
            document["platform"]["gateway"]["port"] = port
            registry_copy = tmp / "registry-reference.yaml"
            registry_copy.write_text(yaml.safe_dump(document, allow_unicode=True))
            proc = _start_gateway(registry_copy, env, tmp / "gateway-reference.log", tree=tree)
            gateways[f"gateway at {args.against} (HTTP)"] = (proc, f"http://127.0.0.1:{port}")
        path = f"/missions/mirec/employers/{employer['id']}"
        headers = {"Authorization": f"Bearer {mint(AGENT.sub, AGENT.mission, list(AGENT.roles))}"}

        for name, (_, base) in gateways.items():

            def answers(base=base):
                try:
                    return requests.get(base + path, headers=headers, timeout=5).status_code == 200
                except requests.RequestException:
                    return False

            wait_until(answers, timeout=60, what=f"{name} to serve the employer")
        uri = platform.registry.amqp_uri_for(
            platform.registry.site("mirec").vhost, platform.registry.prefix + GATEWAY_USER
        )

        def http_client():
            session = requests.Session()
            session.headers.update(headers)
            return session

        def http_call(url):
            def call(session):
                reply = session.get(url, timeout=10)
                if reply.status_code != 200:
                    raise RuntimeError(reply.status_code)

            return call

        def rpc_call(client):
            client.proxy.employer.get(employer["id"])

        site_pid = platform.sites[0].proc.pid
        rounds = 2 if args.against else 1  # two gateways take turns, twice, so that neither has the quieter minute
        rows = []
        for clients in counts:
            results: dict[str, list[dict]] = {}
            for _ in range(rounds):
                for name, (proc, base) in gateways.items():
                    cpu = CpuMeter({"gateway": lambda proc=proc: [proc.pid], "site": lambda: [site_pid]})
                    measured = measure(clients, args.seconds, args.warmup, http_client, http_call(base + path), cpu)
                    results.setdefault(name, []).append(measured)
            cpu = CpuMeter({"gateway": lambda: [gateways[GATEWAY][0].pid], "site": lambda: [site_pid]})
            bare = measure(clients, args.seconds, args.warmup, lambda: _Proxy(uri, AGENT.context()), rpc_call, cpu)
            paths = {name: _merge(runs) for name, runs in results.items()}
            rows.append((clients, {**paths, BARE: bare}))
    finally:
        for proc, _ in gateways.values():
            proc.terminate()
            proc.wait(20)
        platform.teardown()

    if args.profile:
        print(Path(args.profile).read_text())
        print_rows(rows)
        return 0
    report(rows, command, args)
    return 0


def _merge(runs: list[dict]) -> dict:
    """Turns of one path as one figure: requests and CPU added up, latencies of the turns' medians' median."""
    if len(runs) == 1:
        return runs[0]
    requests_ = sum(r["requests"] for r in runs)
    cpu: dict[str, float] = {}
    for r in runs:
        for key, value in r["cpu_us"].items():
            cpu[key] = cpu.get(key, 0.0) + value * r["requests"] / max(requests_, 1)
    return {
        "cpu_us": cpu,
        "requests": requests_,
        "errors": sum(r["errors"] for r in runs),
        "per_second": sum(r["per_second"] for r in runs) / len(runs),
        "p50_ms": sorted(r["p50_ms"] for r in runs)[len(runs) // 2],
        "p99_ms": max(r["p99_ms"] for r in runs),
    }


def print_rows(rows) -> None:
    for clients, paths in rows:
        for name, r in paths.items():
            cpu = ", ".join(f"{k} {v:,.0f} µs" for k, v in r["cpu_us"].items())
            print(f"{clients} client(s), {name}: {r['per_second']:.0f}/s, p50 {r['p50_ms']:.1f} ms; CPU/request {cpu}")


def report(rows, command: str, args) -> None:
    lines = [
        f"## Gateway reads beside a bare nameko RPC — {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"- machine: {machine()}",
        f"- commit: {commit()}",
        f"- command: `{command.strip()}`",
        f"- load average (1, 5, 15 min) at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
        "(other work on the machine shows here: figures move with it)",
        f"- read: `employer.get` of one employer; {args.seconds:.0f} s measured per figure after "
        f"{args.warmup:.0f} s of warm-up; broker {os.environ.get('PASSERELLE_BROKER_PORT', '5672')}, "
        f"database {os.environ.get('PASSERELLE_TEST_DATABASE', 'sqlite')}; clients, gateway, site and broker share "
        "the machine",
        "",
        "| clients | path | requests/s | p50 ms | p99 ms | errors | CPU µs/request: gateway | site |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for clients, paths in rows:
        for name, r in paths.items():
            lines.append(
                f"| {clients} | {name} | {r['per_second']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
                f"| {r['errors']} | {r['cpu_us'].get('gateway', 0):,.0f} | {r['cpu_us'].get('site', 0):,.0f} |"
            )
    lines.append("")
    for clients, paths in rows:
        bare = paths[BARE]
        for name, through in paths.items():
            if name == BARE:
                continue
            ratio = through["per_second"] / bare["per_second"] if bare["per_second"] else float("nan")
            lines.append(
                f"- {clients} client(s): {name.replace(' (HTTP)', '')} serves {ratio:.2f}× the bare RPC's throughput; "
                f"p50 +{through['p50_ms'] - bare['p50_ms']:.1f} ms; CPU per request "
                f"{through['cpu_us'].get('gateway', 0):,.0f} µs in the gateway process"
            )
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    header = (
        ""
        if RESULTS.exists()
        else ("# Gateway benchmark\n\nWritten by `python -m bench.gateway.run`; each run appends a section.\n\n")
    )
    with RESULTS.open("a") as f:
        f.write(header + text + "\n")


if __name__ == "__main__":
    sys.exit(main())
