"""Front office benchmark: server time per page (p50/p95) on a Mission seeded with people and their history.

    python -m bench.web.run [--people 20000] [--counsellors 200] [--requests 200] [--quick]

Builds a throwaway platform of MIREC alone (``tests.web.browser.FrontOffice``: real broker, real databases
(SQLite, or PostgreSQL with ``PASSERELLE_TEST_DATABASE=postgresql``), the gateway and the front office as
processes). MIREC is the benchmarked Mission; the others hold nothing. Its beneficiary database is filled
with ``--people`` people and their history (``bench.web.seed``: stage moves, a target group, an
assessment, plan versions, notes, a third with a first contract), followed by ``--counsellors``
counsellors, one of them the development sign-in's "anne". Then, one request at a time, ``--requests``
times each:

- pages, by the front office's own ``Server-Timing`` (its gateway calls included): the caseload
  (``/beneficiaires``, anne's people, 100 a page), a person's file (``/beneficiaires/<id>``, eight gateway
  reads), search by part of a last name and by national number (``POST /recherche``), what is due
  (``/a-faire``); baseline in the same run: the empty search form (no gateway call: the page's floor);
- the gateway's answers as a client sees them (wall time, HTTP included): the search by name and by
  number, the caseload; baseline in the same run: the Mission's list by last name (``GET /beneficiaries``,
  25 a page), which existed before search;
- where the time goes: the services' own time per RPC, from the site's ``passerelle_entrypoint_seconds``.

Prints the figures beside the goals (p95 ≤ 150 ms for the file and the caseload, ≤ 100 ms for search) and
writes ``bench/results/web.md`` (``web-postgresql.md`` for PostgreSQL). Figures are printed, never asserted.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.report import commit, machine  # noqa: E402
from bench.web import seed  # noqa: E402
from gateway.auth import mint  # noqa: E402
from kit.search import search_key  # noqa: E402
from tests.harness import free_port, terminate, wait_until  # noqa: E402
from tests.web.browser import FrontOffice  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "web.md"
TIMING = re.compile(r"app;dur=([0-9.]+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
RPCS = ("get", "get_pathway", "list_plans", "list_assessments", "list_notes", "caseload", "search", "due")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def sign_in(front: FrontOffice) -> tuple[requests.Session, str]:
    http = requests.Session()
    csrf = CSRF.search(http.get(front.url + "/connexion").text).group(1)
    http.post(front.url + "/connexion/demo", data={"csrf": csrf, "mission": "mirec", "login": "anne", "next": "/"})
    return http, CSRF.search(http.get(front.url + "/recherche").text).group(1)


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def page_time(reply: requests.Response) -> float:
    assert reply.status_code == 200, (reply.url, reply.status_code)
    return float(TIMING.search(reply.headers["Server-Timing"]).group(1))


def wall(call) -> float:
    started = time.perf_counter()
    reply = call()
    assert reply.status_code == 200, (reply.url, reply.status_code, reply.text[:200])
    return (time.perf_counter() - started) * 1000


def file_reads(gateway_url: str, pid: str) -> list[tuple[str, dict]]:
    """The gateway reads of a person's file page, in its first two rounds (web/views/people.py)."""
    mission = f"{gateway_url}/missions/mirec"
    people = f"{mission}/beneficiaries/{pid}"
    return [
        (people, {"purpose": "accompaniment"}),
        (people + "/pathway", {}),
        (people + "/plan", {}),
        (people + "/assessments", {}),
        (people + "/notes/social", {}),
        (people + "/notes/pedagogical", {}),
        (f"{mission}/matching/proposals", {"beneficiary_id": pid}),
        (f"{mission}/matching/beneficiaries/{pid}/vacancies", {"limit": 10}),
    ]


def service_times(site) -> dict[str, tuple[float, float]]:
    """Per beneficiary RPC: (calls, seconds) so far, from the site's own histogram."""
    out = {}
    for rpc in RPCS:
        labels = dict(service="beneficiary", entrypoint=rpc)
        out[rpc] = (
            site.metric("passerelle_entrypoint_seconds_count", **labels),
            site.metric("passerelle_entrypoint_seconds_sum", **labels),
        )
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=20000)
    ap.add_argument("--counsellors", type=int, default=200, help="people are shared among them (anne is one)")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="500 people, 50 requests a page")
    args = ap.parse_args(argv)
    if args.quick:
        args.people, args.requests, args.counsellors = 500, 50, 5
    database = os.environ.get("PASSERELLE_TEST_DATABASE", "sqlite")
    front = FrontOffice(Path(tempfile.mkdtemp(prefix="bench-web-")), missions=("mirec",))
    pages: dict[str, list[float]] = {}
    api: dict[str, list[float]] = {}
    try:
        front.start()
        engine = front.platform.engine("mirec", "beneficiary")
        started = time.monotonic()
        seed.fill(engine, args.people, args.counsellors)
        seeded = time.monotonic() - started
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, niss, last_name FROM beneficiary")).all()
            history = {
                t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}"))
                for t in ("stage_transition", "plan_version", "assessment", "note", "contract")
            }
            if engine.dialect.name == "postgresql":
                conn.execute(sa.text("ANALYZE"))
        engine.dispose()
        site = front.platform.sites[0]
        http, csrf = sign_in(front)
        token = mint("bench.counsellor", "mirec", ["counsellor"], ttl=86400)
        gw = requests.Session()
        gw.headers["Authorization"] = f"Bearer {token}"
        base = f"{front.gateway_url}/missions/mirec/beneficiaries"
        rng = random.Random(5)
        mine = args.people // args.counsellors

        def prefix() -> str:  # the first letters of someone's last name, as typed: no accents, lower case
            return search_key(rng.choice(rows).last_name)[:4]

        def search_page(body: dict) -> float:
            return page_time(http.post(front.url + "/recherche", data={"csrf": csrf, **body}))

        for _ in range(5):  # warm-up: connections, caches, the taxonomy's labels
            page_time(http.get(front.url + "/beneficiaires"))
            page_time(http.get(front.url + "/beneficiaires/" + rng.choice(rows).id))
            search_page({"q": prefix()})
        before = service_times(site)
        load_start = os.getloadavg()
        n = args.requests
        pages["baseline: empty search form (no gateway call)"] = [
            page_time(http.get(front.url + "/recherche")) for _ in range(n)
        ]
        pages["caseload (`/beneficiaires`, anne's, 100 a page)"] = [
            page_time(http.get(f"{front.url}/beneficiaires?page={rng.randint(1, max(1, -(-mine // 100)))}"))
            for _ in range(n)
        ]
        pages["a person's file (`/beneficiaires/<id>`)"] = [
            page_time(http.get(front.url + "/beneficiaires/" + rng.choice(rows).id)) for _ in range(n)
        ]
        pages["search by part of a last name (`POST /recherche`)"] = [search_page({"q": prefix()}) for _ in range(n)]
        pages["search by national number (`POST /recherche`)"] = [
            search_page({"niss": rng.choice(rows).niss}) for _ in range(n)
        ]
        pages["what is due (`/a-faire`, anne's)"] = [page_time(http.get(front.url + "/a-faire")) for _ in range(n)]
        after = service_times(site)
        api["baseline: list by last name (`GET /beneficiaries`, 25 a page)"] = [
            wall(lambda: gw.get(base, params={"page": rng.randint(1, 50), "page_size": 25})) for _ in range(n)
        ]
        api["search by part of a last name (`POST /beneficiaries/search`)"] = [
            wall(lambda: gw.post(base + "/search", json={"q": prefix()})) for _ in range(n)
        ]
        api["search by national number (`POST /beneficiaries/search`)"] = [
            wall(lambda: gw.post(base + "/search", json={"niss": rng.choice(rows).niss})) for _ in range(n)
        ]
        api["caseload (`GET /beneficiaries/caseload`, 100 a page)"] = [
            wall(lambda: gw.get(base + "/caseload", params={"counsellor": "anne@mirec", "page_size": 100}))
            for _ in range(n)
        ]
        # The file page's reads one after the other (as before the page gathered them) and all at once (as the
        # page sends them now), taken in turns for the same person so that both meet the same load.
        pool = eventlet.GreenPool(8)
        one_by_one, together = [], []
        for _ in range(n):
            reads = file_reads(front.gateway_url, rng.choice(rows).id)
            started = time.perf_counter()
            for url, params in reads:
                gw.get(url, params=params)
            one_by_one.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            list(pool.imap(lambda read: gw.get(read[0], params=read[1]), reads))
            together.append((time.perf_counter() - started) * 1000)
        # The whole file page, from a second front office whose reads go one after the other
        # (PASSERELLE_WEB_GATHER_THREADS=1), and from the first, in turns for the same person.
        port = free_port()
        second = subprocess.Popen(
            [sys.executable, "-m", "web", "--registry", str(front.platform.registry_path), "--port", str(port)],
            env=dict(front._env(), PASSERELLE_WEB_GATHER_THREADS="1"),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            sequential = SimpleNamespace(url=f"http://127.0.0.1:{port}")
            wait_until(lambda: answers(sequential.url + "/connexion"), 60, what="second front office")
            http_one_by_one, _ = sign_in(sequential)
            gathered_pages, sequential_pages = [], []
            for _ in range(n):
                path = "/beneficiaires/" + rng.choice(rows).id
                sequential_pages.append(page_time(http_one_by_one.get(sequential.url + path)))
                gathered_pages.append(page_time(http.get(front.url + path)))
            pages["a person's file, its reads one after the other (before; in turns with the next line)"] = (
                sequential_pages
            )
            pages["a person's file, its reads gathered (now; in turns with the line above)"] = gathered_pages
        finally:
            terminate(second)
        api["the file page's 8 reads, one after the other"] = one_by_one
        api["the file page's 8 reads, all at once (what the page does)"] = together
        load = os.getloadavg()
    finally:
        front.stop()
    spent = {
        rpc: (
            (after[rpc][1] - before[rpc][1]) / (after[rpc][0] - before[rpc][0]) * 1000,
            after[rpc][0] - before[rpc][0],
        )
        for rpc in RPCS
        if after[rpc][0] > before[rpc][0]
    }
    lines = [
        "# Front office",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {machine()} · commit {commit()} · {database} · load average "
        f"{load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f} at the start, "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end (figures at a load above 1 are upper bounds: "
        "re-measure on a quiet machine) · "
        f"`python -m bench.web.run --people {args.people} --counsellors {args.counsellors} --requests {args.requests}`",
        "",
        f"MIREC (the benchmarked Mission; the other Missions are not started) holds {len(rows):,} people written in "
        f"{seeded:.0f} s straight into its database (`bench/web/seed.py`), with "
        + ", ".join(f"{v:,} {k}" for k, v in history.items())
        + f" rows; {args.counsellors} counsellors, anne follows {mine:,}. One signed-in counsellor, one request at "
        "a time. Goals (issues 19 and 23): p95 ≤ 150 ms for the file and the caseload, ≤ 100 ms for search.",
        "",
        "Pages: the front office's `Server-Timing` (its gateway calls included).",
        "",
        "| page | p50 ms | p95 ms | requests |",
        "|---|---:|---:|---:|",
        *[f"| {k} | {percentile(v, 50):.1f} | {percentile(v, 95):.1f} | {len(v)} |" for k, v in pages.items()],
        "",
        "The gateway, as a client sees it (wall time, HTTP and JSON included). The file page's reads are taken in "
        "turns, one after the other then all at once, for the same person each time.",
        "",
        "| call | p50 ms | p95 ms | requests |",
        "|---|---:|---:|---:|",
        *[f"| {k} | {percentile(v, 50):.1f} | {percentile(v, 95):.1f} | {len(v)} |" for k, v in api.items()],
        "",
        "Where the page time goes: the beneficiary service's own mean time per RPC while the pages above were "
        "measured (`passerelle_entrypoint_seconds`; the file page makes eight reads, six of them here).",
        "",
        "| RPC | mean ms | calls |",
        "|---|---:|---:|",
        *[f"| `{rpc}` | {ms:.1f} | {calls:.0f} |" for rpc, (ms, calls) in spent.items()],
        "",
    ]
    text = "\n".join(lines)
    print(text)
    # One file per database, so a PostgreSQL run does not replace the SQLite one.
    (RESULTS if database == "sqlite" else RESULTS.with_name(f"web-{database}.md")).write_text(text)


if __name__ == "__main__":
    main()
