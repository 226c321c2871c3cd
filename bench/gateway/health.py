"""``GET /health`` as served now (from the state ``gateway.health`` keeps current) beside the same answer
computed on each request (every service of every site asked, as the gateway did before), in one run.

    python -m bench.gateway.health [--requests 200]

Needs a running platform (``make up``: its registry and broker, from the same ``PASSERELLE_*`` settings).
Both are measured through the gateway's WSGI application in this process (no HTTP server: the figures are
the application's own time), one request after another. Prints the machine, the commit and the load
average beside p50/p99, and appends a section to ``bench/results/gateway.md``; figures are printed, never
asserted.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from werkzeug.test import Client  # noqa: E402

from bench.report import commit, load_note, machine  # noqa: E402
from gateway.app import Gateway  # noqa: E402
from kit.registry import load  # noqa: E402

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "gateway.md"


def timed(call, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return sorted(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    gateway = Gateway(load())
    client = Client(gateway)
    try:
        assert client.get("/health").status_code in (200, 503)  # the watch's first, synchronous check
        per_request = timed(gateway.rpc_clients.health, args.requests)
        watched = timed(lambda: client.get("/health"), args.requests)
    finally:
        gateway.watch.stop()
        gateway.rpc_clients.close()
    command = f"python -m bench.gateway.health --requests {args.requests}"
    rows = []
    for name, values in (("checked on each request (before)", per_request), ("/health from the watch", watched)):
        p50, p99 = values[len(values) // 2], values[min(len(values) - 1, int(len(values) * 0.99))]
        rows.append((name, p50, p99))
    lines = [
        f"## /health beside the check on each request — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"- machine: {machine()}; commit {commit()}; {load_note()}",
        f"- command: `{command}` against the running platform (`make up`), {args.requests} requests each, one at a"
        " time, through the gateway's WSGI application in one process",
        "",
        "| answer | p50 ms | p99 ms |",
        "|---|---:|---:|",
        *(f"| {name} | {p50:.2f} | {p99:.2f} |" for name, p50, p99 in rows),
        "",
    ]
    print("\n".join(lines))
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write("\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
