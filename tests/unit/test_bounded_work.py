"""kit.work without a broker: deadlines read from context data, single flight, the cap, a computation that
stops at its deadline; and the protection audit stopping between solves when its caller has gone."""

import time

import eventlet
import numpy as np
import pytest

from kit import work
from kit.errors import Busy, DeadlineExceeded
from kit.work import DEADLINE_KEY, Deadline, Flights


def spin_until(flag: dict, steps: list):
    """A cooperative computation: a step of real work, then a check, until ``flag['go']``."""
    while not flag.get("go"):
        np.sort(np.random.default_rng(len(steps)).random(20_000))
        steps.append(1)
        work.check()
    return len(steps)


def test_deadline_from_context():
    assert Deadline.from_context({}).at is None
    assert Deadline.from_context({DEADLINE_KEY: "12.5"}).at == 12.5
    assert Deadline.from_context({DEADLINE_KEY: "soon"}).at is None
    assert Deadline.from_context(None).remaining() is None
    past = Deadline(time.time() - 1)
    assert past.expired()
    with pytest.raises(DeadlineExceeded):
        past.check()


def test_extend_keeps_the_latest_deadline():
    d = Deadline(100.0)
    d.extend(Deadline(50.0))
    assert d.at == 100.0
    d.extend(Deadline(150.0))
    assert d.at == 150.0
    d.extend(Deadline())
    assert d.at is None


def test_no_deadline_outside_a_flight():
    work.check()  # nothing to stop
    assert work.remaining() is None


def test_a_computation_stops_at_its_deadline():
    flights, steps = Flights(limit=1), []
    with pytest.raises(DeadlineExceeded):
        flights.run("k", lambda: spin_until({}, steps), Deadline.after(0.3))
    counted = len(steps)
    assert counted > 0
    eventlet.sleep(0.3)
    assert len(steps) == counted  # nothing computes any more
    assert (flights.running, flights.abandoned, flights.computed) == (0, 1, 1)


def test_identical_requests_share_one_computation():
    flights, steps, flag, calls = Flights(limit=1), [], {}, []

    def compute():
        calls.append(1)
        return spin_until(flag, steps)

    pool = eventlet.GreenPool()
    answers = [pool.spawn(flights.run, "same", compute, Deadline.after(30)) for _ in range(5)]
    while flights.shared < 4:
        eventlet.sleep(0.01)
    flag["go"] = True
    results = [a.wait() for a in answers]
    assert len(calls) == 1 and flights.computed == 1
    assert len(set(results)) == 1


def test_a_joined_request_extends_the_deadline():
    flights, steps, flag = Flights(limit=1), [], {}
    first = eventlet.spawn(flights.run, "same", lambda: spin_until(flag, steps), Deadline.after(0.2))
    while not steps:
        eventlet.sleep(0.01)
    second = eventlet.spawn(flights.run, "same", lambda: pytest.fail("computed twice"), Deadline.after(30))
    eventlet.sleep(0.5)  # past the first caller's deadline: the second still waits, so the work goes on
    assert flights.running == 1
    flag["go"] = True
    assert first.wait() == second.wait()


def test_the_cap_refuses_with_retry_after():
    flights, flag = Flights(limit=2, retry_after=3), {}
    running = [eventlet.spawn(flights.run, k, lambda: spin_until(flag, []), Deadline.after(30)) for k in "ab"]
    while flights.running < 2:
        eventlet.sleep(0.01)
    with pytest.raises(Busy) as refused:
        flights.run("c", lambda: pytest.fail("over the cap"), Deadline.after(30))
    assert refused.value.retry_after == 3 and flights.refused == 1
    flag["go"] = True
    for g in running:
        g.wait()
    assert flights.run("c", lambda: "done", Deadline.after(30)) == "done"  # slots given back


def test_an_error_reaches_every_caller_and_frees_the_slot():
    flights, flag = Flights(limit=1), {}

    def fails():
        while not flag.get("go"):
            eventlet.sleep(0)
        raise ValueError("broken")

    a = eventlet.spawn(flights.run, "x", fails, Deadline.after(30))
    while not flights.running:
        eventlet.sleep(0.01)
    b = eventlet.spawn(flights.run, "x", fails, Deadline.after(30))
    eventlet.sleep(0.05)
    flag["go"] = True
    for g in (a, b):
        with pytest.raises(ValueError):
            g.wait()
    assert flights.running == 0 and flights.run("y", lambda: 1) == 1


def test_protection_stops_between_solves_when_its_caller_has_gone():
    """The municipality-scale audit (dozens of solves) given a deadline already past stops before any solve."""
    from reporting import suppression

    rng = np.random.default_rng(7)
    values = rng.integers(0, 9, size=(5, 12, 51))  # quarters and the year, Missions, municipalities
    values[4] = values[:4].sum(axis=0)
    cube = np.zeros((5, 13, 52), dtype=np.int64)
    cube[:, :12, :51] = values
    cube[:, 12, :51] = values.sum(axis=1)
    cube[:, :12, 51] = values.sum(axis=2)
    cube[:, 12, 51] = values.sum(axis=(1, 2))
    links = [(4, (0, 1, 2, 3))]
    stats = suppression.Stats()
    flights = Flights(limit=1)
    with pytest.raises(DeadlineExceeded):
        flights.run("t", lambda: suppression.protect_sector(cube, links, additive=True, stats=stats), Deadline(1.0))
    assert stats.solves == 0
    # with time left, the same table is protected, and it took solves
    hidden = flights.run("t", lambda: suppression.protect_sector(cube, links, additive=True, stats=stats))
    assert hidden.any() and stats.solves > 0


def test_a_request_over_the_cap_waits_a_moment_for_a_slot():
    flights, flag = Flights(limit=1, queue_wait=5), {}
    first = eventlet.spawn(flights.run, "a", lambda: spin_until(flag, []), Deadline.after(30))
    while not flights.running:
        eventlet.sleep(0.01)
    second = eventlet.spawn(flights.run, "b", lambda: "b done", Deadline.after(30))
    eventlet.sleep(0.05)
    flag["go"] = True  # the slot frees while the second waits
    first.wait()
    assert second.wait() == "b done" and flights.refused == 0
