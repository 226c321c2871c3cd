"""Work stops when its caller has gone, on the real broker.

A service in this process computes through reporting's publication cache (``reporting.cache.publication``:
single flight, the cap, the deadline) and is called through the gateway's own client (``kit.rpc.ProxyPool``),
whose budget travels with the call. The computation is a cooperative loop standing in for the protection
audit (whose own checks are tested in tests/unit/test_bounded_work.py), counting its steps.
"""

import eventlet
import numpy as np
import pytest
from nameko.containers import ServiceContainer
from nameko.exceptions import RpcTimeout
from nameko.rpc import rpc
from reporting import cache

from kit import work
from kit.errors import Busy, DeadlineExceeded
from kit.rpc import Budget, ProxyPool
from tests.harness import wait_until

pytestmark = pytest.mark.integration

SITE = "bounded-work-test"
STEPS: dict[str, int] = {}
RELEASE: set[str] = set()
STARTED: list[str] = []


def computation(key: str):
    STARTED.append(key)
    STEPS[key] = 0
    while key not in RELEASE:
        np.sort(np.random.default_rng(STEPS[key]).random(20_000))  # real CPU, then the check
        STEPS[key] += 1
        work.check()
    return {"key": key, "steps": STEPS[key]}


class Heavy:
    name = "heavy"
    budget = Budget()

    @rpc
    def table(self, key):
        return cache.publication(SITE, ("heavy", key), lambda: computation(key), self.budget)

    @rpc
    def remaining(self):
        return self.budget.remaining()


@pytest.fixture
def heavy(platform):
    STEPS.clear(), RELEASE.clear(), STARTED.clear()
    cache._flights.pop(SITE, None)
    uri = platform.registry.admin_amqp_uri(platform.registry.site("mirec").vhost)
    container = ServiceContainer(Heavy, {"AMQP_URI": uri})
    pools = []

    def client(timeout: float, size: int = 8) -> ProxyPool:
        pools.append(ProxyPool(uri, timeout, size))
        return pools[-1]

    with eventlet.Timeout(120):  # a guard: the test must fail, not hang
        container.start()
        try:
            yield client
        finally:
            RELEASE.update(STEPS)
            for pool in pools:
                pool.close()
            container.kill()


def test_the_deadline_travels_with_the_call(heavy):
    with heavy(5.0).proxy({}) as proxy:
        left = proxy.heavy.remaining()
    assert 0 < left <= 5.0


def test_a_request_whose_caller_has_gone_stops_computing(heavy):
    # The client's timer and the service's check race for the same moment: either way the answer is a 504.
    with pytest.raises((RpcTimeout, DeadlineExceeded)):
        with heavy(1.0).proxy({}) as proxy:
            proxy.heavy.table("abandoned")
    flights = cache.flights(SITE)
    wait_until(lambda: flights.running == 0, timeout=5, what="the computation to stop")
    stopped_at = STEPS["abandoned"]
    assert stopped_at > 0 and flights.abandoned == 1
    eventlet.sleep(1.0)
    assert STEPS["abandoned"] == stopped_at  # no thread computes it any more
    assert STARTED == ["abandoned"]


def test_identical_requests_compute_once(heavy):
    pool = heavy(30.0)
    flights = cache.flights(SITE)

    def ask():
        with pool.proxy({}) as proxy:
            return proxy.heavy.table("shared")

    callers = [eventlet.spawn(ask) for _ in range(6)]
    wait_until(lambda: flights.shared == 5, timeout=20, what="five requests to join the first")
    RELEASE.add("shared")
    answers = [c.wait() for c in callers]
    assert STARTED == ["shared"] and flights.computed == 1
    assert all(a == answers[0] for a in answers)
    # and the answer is kept: one more request computes nothing
    assert ask() == answers[0] and flights.computed == 1


def test_heavy_work_beyond_the_cap_is_refused_with_retry_after(heavy):
    pool = heavy(30.0)
    flights = cache.flights(SITE)

    def ask(key):
        with pool.proxy({}) as proxy:
            return proxy.heavy.table(key)

    running = [eventlet.spawn(ask, f"k{i}") for i in range(flights.limit)]
    wait_until(lambda: flights.running == flights.limit, timeout=20, what="the cap to be reached")
    with pytest.raises(Busy) as refused:
        ask("one-more")
    assert refused.value.retry_after >= 1 and "one-more" not in STARTED
    RELEASE.update(f"k{i}" for i in range(flights.limit))
    for r in running:
        r.wait()
