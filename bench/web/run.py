"""Front office benchmark: server time per page (p50/p95) on a Mission seeded with people and their history.

    python -m bench.web.run [--people 20000] [--requests 200] [--quick]

Builds a throwaway platform of MIREC alone (``tests.web.browser.FrontOffice``:
real broker, real databases, the gateway and the front office as processes),
seeds ``--people`` people through the gateway (intake, a stage move and a
social note each, 16 at a time), signs a counsellor in on the development page
and asks, one request at a time, the caseload (``/beneficiaires``, 100 people a
page, grouped by stage) and a person's file (``/beneficiaires/<id>``, seven
gateway reads) ``--requests`` times each, reading the front office's own
``Server-Timing`` header (the page's time in the web process, its gateway calls
included). Prints p50/p95 beside the issue's goals (p95 ≤ 150 ms for both) and
writes ``bench/results/web.md``. Figures are printed, never asserted.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402
from eventlet.greenpool import GreenPool  # noqa: E402

from bench.report import commit, machine  # noqa: E402
from gateway.auth import mint  # noqa: E402
from runtime.demo import DemoFactory  # noqa: E402
from tests.web.browser import FrontOffice  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "web.md"
TIMING = re.compile(r"app;dur=([0-9.]+)")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def seed(front: FrontOffice, people: int) -> list[str]:
    headers = {"Authorization": f"Bearer {mint('bench.counsellor', 'mirec', ['counsellor'], ttl=86400)}"}
    base = f"{front.gateway_url}/missions/mirec/beneficiaries"
    http = requests.Session()
    factory = DemoFactory(seed=11)
    bodies = [dict(factory.beneficiary("50000"), municipality="52011") for _ in range(people)]

    def one(body):
        reply = http.post(base, json=body, headers=headers, timeout=30)
        if reply.status_code != 201:
            return None
        pid = reply.json()["id"]
        http.post(
            f"{base}/{pid}/pathway/move",
            json={"to": "orientation", "why": "Projet en cours"},
            headers=headers,
            timeout=30,
        )
        http.post(f"{base}/{pid}/notes/social", json={"text": "Entretien d'accueil"}, headers=headers, timeout=30)
        return pid

    return [pid for pid in GreenPool(16).imap(one, bodies) if pid]


def sign_in(front: FrontOffice) -> requests.Session:
    http = requests.Session()
    html = http.get(front.url + "/connexion").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    http.post(front.url + "/connexion/demo", data={"csrf": csrf, "mission": "mirec", "login": "anne", "next": "/"})
    return http


def measure(http: requests.Session, url: str) -> float:
    reply = http.get(url, timeout=30)
    assert reply.status_code == 200, (url, reply.status_code)
    return float(TIMING.search(reply.headers["Server-Timing"]).group(1))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=20000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="500 people, 50 requests a page")
    args = ap.parse_args(argv)
    if args.quick:
        args.people, args.requests = 500, 50
    front = FrontOffice(Path(tempfile.mkdtemp(prefix="bench-web-")), missions=("mirec",))
    try:
        front.start()
        started = time.monotonic()
        ids = seed(front, args.people)
        seeded = time.monotonic() - started
        http = sign_in(front)
        rng = random.Random(5)
        for _ in range(5):  # warm-up
            measure(http, front.url + "/beneficiaires")
        caseload = [
            measure(http, front.url + "/beneficiaires?page=" + str(rng.randint(1, max(1, len(ids) // 100))))
            for _ in range(args.requests)
        ]
        files = [measure(http, front.url + "/beneficiaires/" + rng.choice(ids)) for _ in range(args.requests)]
    finally:
        front.stop()
    rows = [("caseload (`/beneficiaires`, 100 a page)", caseload), ("a person's file (`/beneficiaires/<id>`)", files)]
    lines = [
        "# Front office",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {machine()} · commit {commit()} · "
        f"`python -m bench.web.run --people {args.people} --requests {args.requests}`",
        "",
        f"MIREC seeded with {len(ids):,} people (intake, a stage move, a social note each) in {seeded:.0f} s through "
        "the gateway; one signed-in counsellor, one request at a time; server time is the front office's "
        "`Server-Timing` (its gateway calls included). Goal (issue 19): p95 ≤ 150 ms for both pages.",
        "",
        "| page | p50 ms | p95 ms | requests |",
        "|---|---:|---:|---:|",
        *[f"| {name} | {percentile(v, 50):.1f} | {percentile(v, 95):.1f} | {len(v)} |" for name, v in rows],
        "",
        "Search by name or national number is not measured: the gateway has no search route yet (web/README.md).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
