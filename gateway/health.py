"""``GET /health`` from state kept current in the background, not from sixty RPCs per request.

Asking every service of every site for its readiness takes a round of RPCs (tens to hundreds of
milliseconds, seconds when a site is down); a probe every few seconds from each of several watchers
must not cost that each time, nor pile up when the platform is slow. ``HealthWatch`` keeps the last
answer and refreshes it every ``interval`` seconds in a green thread, for as long as someone asks
(it stops after ``idle`` seconds without a request, and the next request starts it again).

Still truthful: the answer says when it was checked (``checked_at``) and how old it is (``age_s``); an
answer older than ``stale`` seconds (the refresher stopped, or a round hangs) is not served: that request
checks again itself, as the gateway always did. Nor is a "not ready" one: while the platform starts or a
site is down, each request waits for a check finished after it arrived (``passerelle up`` sees the platform
ready as soon as it is, not an interval later). Concurrent requests share one check.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import eventlet
from eventlet.semaphore import Semaphore


class HealthWatch:
    def __init__(self, check, interval: float = 2.0, stale: float = 8.0, idle: float = 60.0, clock=time.monotonic):
        self.check, self.interval, self.stale, self.idle, self.clock = check, interval, stale, idle, clock
        self._answer: dict | None = None
        self._at = 0.0
        self._wall = 0.0
        self._asked = 0.0
        self._checking = Semaphore(1)
        self._runner = None

    def current(self) -> dict:
        """The platform's readiness, at most ``stale`` seconds old."""
        now = self.clock()
        self._asked = now
        if self._answer is None or not self._answer.get("ready"):
            self._refresh(unless_since=now)
        elif now - self._at > self.stale:
            self._refresh(unless_since=now - self.stale)
        if self._runner is None:
            self._runner = eventlet.spawn(self._run)
        age = max(self.clock() - self._at, 0.0)
        checked = datetime.fromtimestamp(self._wall, UTC).isoformat(timespec="milliseconds")
        return {**self._answer, "checked_at": checked, "age_s": round(age, 3)}

    def _refresh(self, unless_since: float | None = None) -> None:
        """Check now, unless a check finished at ``unless_since`` or later (while this one waited its turn)."""
        with self._checking:
            if unless_since is not None and self._answer is not None and self._at >= unless_since:
                return
            answer = self.check()
            self._answer, self._at, self._wall = answer, self.clock(), time.time()

    def _run(self) -> None:
        try:
            while self.clock() - self._asked < self.idle:
                eventlet.sleep(self.interval)
                try:
                    self._refresh()
                except Exception:  # a failed round leaves the last answer to age; a request then checks itself
                    eventlet.sleep(self.interval)
        finally:
            self._runner = None

    def stop(self) -> None:
        if self._runner is not None:
            self._runner.kill()
            self._runner = None
