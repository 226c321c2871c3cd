"""gateway.health: /health served from a state refreshed in the background, never stale, never a
cached "not ready" (a fake clock and a counting check: unit test)."""

import eventlet

from gateway.health import HealthWatch


class Platform:
    def __init__(self):
        self.ready, self.checks = True, 0

    def __call__(self):
        self.checks += 1
        return {"ready": self.ready, "sites": {}}


def test_a_ready_answer_is_served_from_the_last_check_and_says_its_age():
    platform, now = Platform(), [100.0]
    watch = HealthWatch(platform, interval=3600, stale=8, clock=lambda: now[0])
    try:
        first = watch.current()
        now[0] += 5
        second = watch.current()
        assert platform.checks == 1 and second["ready"] and second["age_s"] == 5.0 and "checked_at" in first
        now[0] += 4  # older than `stale`: checked again by the request itself
        assert watch.current()["age_s"] == 0.0 and platform.checks == 2
    finally:
        watch.stop()


def test_not_ready_is_never_served_from_the_cache():
    platform, now = Platform(), [0.0]
    platform.ready = False
    watch = HealthWatch(platform, interval=3600, clock=lambda: now[0])
    try:
        assert watch.current()["ready"] is False
        platform.ready = True
        now[0] += 0.1
        assert watch.current()["ready"] is True and platform.checks == 2
    finally:
        watch.stop()


def test_the_background_refresh_notices_a_site_going_down():
    platform = Platform()
    watch = HealthWatch(platform, interval=0.01, idle=5)
    try:
        assert watch.current()["ready"]
        platform.ready = False
        while platform.checks < 3:
            eventlet.sleep(0.01)
        assert watch.current()["ready"] is False
    finally:
        watch.stop()


def test_concurrent_requests_share_one_check():
    calls = []

    def slow():
        calls.append(1)
        eventlet.sleep(0.05)
        return {"ready": False}

    watch = HealthWatch(slow, interval=3600)
    try:
        pool = eventlet.GreenPool()
        list(pool.imap(lambda _: watch.current(), range(5)))
        assert len(calls) == 1
    finally:
        watch.stop()
