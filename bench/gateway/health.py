"""``GET /health`` as served now (from the state ``gateway.health`` keeps current) beside the same answer
computed on each request (every service of every site asked, as the gateway did before), in one run.

    python -m bench.gateway.health [--requests 200]

Needs a running platform (``make up``: its registry and broker, from the same ``PASSERELLE_*`` settings).
Both are measured through the gateway's WSGI application in this process (no HTTP server: the figures are
the application's own time), one request after another. Prints the machine, the commit and the load
average beside p50/p99; figures are printed, never asserted.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from werkzeug.test import Client  # noqa: E402

from bench.report import commit, load_note, machine  # noqa: E402
from gateway.app import Gateway  # noqa: E402
from kit.registry import load  # noqa: E402


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
        per_request = timed(gateway.sites.health, args.requests)
        watched = timed(lambda: client.get("/health"), args.requests)
    finally:
        gateway.watch.stop()
        gateway.sites.close()
    print(f"machine: {machine()}; commit {commit()}; {load_note()}")
    print(f"command: python -m bench.gateway.health --requests {args.requests}")
    for name, values in (("checked on each request (before)", per_request), ("/health from the watch", watched)):
        p50, p99 = values[len(values) // 2], values[min(len(values) - 1, int(len(values) * 0.99))]
        print(f"{name:36} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
