"""Heavy work bounded by its caller: a deadline that travels with the call, one computation for identical
requests, and a cap on how many run at once.

* **Deadline.** The gateway gives every RPC a budget (its own timeout) and puts the moment it runs out in
  the call's context data (``DEADLINE_KEY``, seconds since the epoch: the gateway and the services share a
  clock through NTP, as their logs already assume). nameko carries context data on every call a call leads
  to, so a service reads it from its worker (``kit.rpc.Budget``) and a nested call spends what is left.
  After the deadline nobody reads the answer: a computation checks ``check()`` between its steps (and
  the solver loops between solves) and stops with ``DeadlineExceeded``.
* **Single flight.** ``Flights.run(key, compute, deadline)``: while a computation under ``key`` runs, an
  identical request waits for its result instead of starting another; the computation then runs until the
  latest of its callers' deadlines.
* **A cap.** At most ``limit`` computations run at once in the process; one more waits ``queue_wait``
  seconds at most (never past its deadline) for a slot, then is refused with ``Busy`` (503 and
  ``Retry-After`` at the gateway) rather than queued behind the others until every caller has given up.

The computation runs in eventlet's pool of OS threads (numpy and the solver release nothing to the hub),
where ``check()`` finds the deadline of the flight it works for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

import eventlet
from eventlet import tpool
from eventlet.event import Event

from kit.errors import Busy, DeadlineExceeded

DEADLINE_KEY = "deadline"
_local = threading.local()


class Deadline:
    """When the caller stops waiting (``at``, epoch seconds), or never (``None``)."""

    __slots__ = ("at",)

    def __init__(self, at: float | None = None):
        self.at = at

    @classmethod
    def from_context(cls, data: dict | None) -> Deadline:
        raw = (data or {}).get(DEADLINE_KEY)
        try:
            return cls(float(raw)) if raw is not None else cls()
        except (TypeError, ValueError):
            return cls()  # a malformed value bounds nothing; the broker's expiry and the caller's timeout still do

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.time() + seconds)

    def remaining(self) -> float | None:
        return None if self.at is None else self.at - time.time()

    def expired(self) -> bool:
        return self.at is not None and time.time() >= self.at

    def check(self) -> None:
        if self.at is not None and time.time() >= self.at:
            raise DeadlineExceeded(f"deadline passed {time.time() - self.at:.3f} s ago")

    def extend(self, other: Deadline) -> None:
        """Run until the later of the two (``None``, no deadline, is the latest)."""
        if self.at is not None:
            self.at = None if other.at is None else max(self.at, other.at)


def current() -> Deadline:
    """The deadline of the computation running in this thread (none outside a flight)."""
    return getattr(_local, "deadline", None) or Deadline()


def check() -> None:
    """Stop the computation of this thread if every caller waiting for it has gone."""
    current().check()


def remaining() -> float | None:
    return current().remaining()


def _bounded(deadline: Deadline, compute: Callable):
    _local.deadline = deadline
    try:
        deadline.check()  # it may have waited for a thread of the pool
        return compute()
    finally:
        _local.deadline = None


class _Flight:
    def __init__(self, deadline: Deadline):
        self.deadline = Deadline(deadline.at)  # extended by the requests that join it
        self.done = Event()


class Flights:
    """Single flight and a cap for one process's heavy computations (see the module's docstring).

    ``computed`` counts the computations started, ``shared`` the requests that joined one already running,
    ``refused`` those turned away by the cap, ``abandoned`` those stopped by their deadline.
    """

    def __init__(self, limit: int = 2, retry_after: int = 2, queue_wait: float = 1.0):
        self.limit, self.retry_after, self.queue_wait = limit, retry_after, queue_wait
        self._running: dict[Hashable, _Flight] = {}
        self._slots = eventlet.semaphore.Semaphore(limit)
        self.computed = self.shared = self.refused = self.abandoned = 0

    def run(self, key: Hashable, compute: Callable, deadline: Deadline | None = None):
        deadline = deadline or Deadline()
        deadline.check()
        flight = self._running.get(key)
        if flight is not None:
            self.shared += 1
            flight.deadline.extend(deadline)
            return _outcome(flight.done.wait())
        left = deadline.remaining()
        wait = self.queue_wait if left is None else max(min(self.queue_wait, left), 0)
        acquired = self._slots.acquire(timeout=wait) if wait > 0 else self._slots.acquire(blocking=False)
        if not acquired:
            self.refused += 1
            raise Busy(f"{self.limit} heavy computations already running", self.retry_after)
        if key in self._running:  # an identical request started it while this one waited for a slot
            self._slots.release()
            return self.run(key, compute, deadline)
        flight = self._running[key] = _Flight(deadline)
        self.computed += 1
        outcome: tuple[bool, object] = (False, RuntimeError("the computation was interrupted"))
        try:
            result = tpool.execute(_bounded, flight.deadline, compute)
            outcome = (True, result)
            return result
        except DeadlineExceeded as exc:
            self.abandoned += 1
            outcome = (False, exc)
            raise
        except Exception as exc:
            outcome = (False, exc)
            raise
        finally:
            del self._running[key]
            self._slots.release()
            flight.done.send(outcome)  # the requests that joined get the same answer, or the same error

    @property
    def running(self) -> int:
        return len(self._running)


def _outcome(sent):
    ok, value = sent
    if ok:
        return value
    raise value
