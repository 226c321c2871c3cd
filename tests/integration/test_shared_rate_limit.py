"""Two gateway processes share one per-identity rate limit through Redis (``gateway/ratelimit.py``).

Real ``passerelle run-gateway`` processes on two ports, with ``PASSERELLE_RATE_LIMIT_URL`` on the local
Redis (database 15, a key prefix of this test's own, removed at the end). The requests are refused after
the rate check and before any RPC (``page=0`` is a 422), so no broker is involved: the gateways are given
a broker port nothing listens on. Needs Redis on 127.0.0.1:6379 (``PASSERELLE_TEST_REDIS`` to move it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import eventlet
import pytest
import redis
import requests

from gateway.auth import mint
from tests.harness import ROOT, free_port, terminate, wait_until

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("PASSERELLE_TEST_REDIS", "redis://127.0.0.1:6379/15")
PATH = "/missions/mirec/employers?page=0"  # past the rate check, refused before any RPC


@pytest.fixture
def store():
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # Redis must run for this test: a missing one is a failure, not a skip
    prefix = f"test-{uuid.uuid4().hex[:8]}:rate:"
    yield client, prefix
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


def start_gateway(tmp_path, name: str, **settings) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(
        os.environ,
        PASSERELLE_ENV="development",
        PASSERELLE_GATEWAY_PORT=str(port),
        PASSERELLE_BROKER_PORT="1",
        PASSERELLE_DATA_DIR=str(tmp_path / name),
        **settings,
    )
    env.pop("PASSERELLE_REGISTRY", None)
    log = open(tmp_path / f"{name}.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "run-gateway"], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT
    )
    log.close()
    url = f"http://127.0.0.1:{port}"

    def answers():
        assert proc.poll() is None, (tmp_path / f"{name}.log").read_text()
        try:
            return requests.get(url + "/openapi.json", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    wait_until(answers, 60, what=f"gateway {name}")
    return proc, url


def bearer(sub: str) -> dict:
    return {"Authorization": f"Bearer {mint(sub, 'mirec', ['director'])}"}


def statuses(urls, headers, count):
    """``count`` requests spread over ``urls`` in turn; the status of each."""
    return [requests.get(urls[i % len(urls)] + PATH, headers=headers, timeout=10).status_code for i in range(count)]


LIMIT = {"PASSERELLE_RATE_PER_SECOND": "0.01", "PASSERELLE_RATE_BURST": "6"}


def test_two_gateways_share_one_limit(tmp_path, store):
    client, prefix = store
    # A budget no scheduling delay reaches: with forty requests at once on a loaded machine, a gateway's green
    # thread could wait past 200 ms for its turn to read Redis's answer and fail open, which is another test's
    # subject (below); this one is about the shared store's atomicity.
    shared = dict(
        LIMIT,
        PASSERELLE_RATE_LIMIT_URL=REDIS_URL,
        PASSERELLE_RATE_LIMIT_PREFIX=prefix,
        PASSERELLE_RATE_LIMIT_TIMEOUT="5",
    )
    procs = []
    try:
        for name in ("a", "b"):
            procs.append(start_gateway(tmp_path, name, **shared))
        urls = [url for _, url in procs]
        anne = bearer("anne.director")
        got = statuses(urls, anne, 10)
        # Six in all, whichever replica answered: then 429 from both.
        assert got == [422] * 6 + [429] * 4, got
        refused = [requests.get(u + PATH, headers=anne, timeout=10) for u in urls]
        assert [r.status_code for r in refused] == [429, 429]
        # 0.01 per second: the next request is some 100 s away, and both replicas say so from the one store.
        assert all(90 <= int(r.headers["Retry-After"]) <= 1000 for r in refused)
        # Another identity has its own limit; the store holds one hashed key per identity, nothing else.
        assert statuses(urls, bearer("bob.director"), 2) == [422, 422]
        # Atomic: forty requests at once, twenty on each replica, still let exactly six through.
        carol = bearer("carol.director")
        pool = eventlet.GreenPool(40)
        at_once = list(
            pool.imap(lambda i: requests.get(urls[i % 2] + PATH, headers=carol, timeout=30).status_code, range(40))
        )
        assert not any("rate limit store unreachable" in (tmp_path / f"{n}.log").read_text() for n in "ab")
        assert sorted(at_once) == [422] * 6 + [429] * 34
        keys = sorted(k.decode() for k in client.scan_iter(match=prefix + "*"))
        assert len(keys) == 3 and not any("anne" in k or "bob" in k for k in keys)
        assert all(0 < client.pttl(k) for k in keys)  # they expire
    finally:
        for proc, _ in procs:
            terminate(proc)


def test_without_a_shared_store_each_gateway_gives_the_full_limit(tmp_path):
    procs = []
    try:
        for name in ("a", "b"):
            procs.append(start_gateway(tmp_path, name, **LIMIT))
        got = statuses([url for _, url in procs], bearer("anne.director"), 14)
        assert got.count(422) == 12 and got[-2:] == [429, 429]  # twice the limit: why the store is needed
    finally:
        for proc, _ in procs:
            terminate(proc)


def test_a_store_that_does_not_answer_fails_open_to_each_gateways_own_limit(tmp_path):
    dead = f"redis://127.0.0.1:{free_port()}/15"  # nothing listens there
    proc, url = start_gateway(tmp_path, "a", **LIMIT, PASSERELLE_RATE_LIMIT_URL=dead)
    try:
        got = statuses([url], bearer("anne.director"), 8)
        assert got == [422] * 6 + [429] * 2, got
        log = (tmp_path / "a.log").read_text()
        assert log.count("rate limit store unreachable") == 1
    finally:
        terminate(proc)
