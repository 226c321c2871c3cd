"""``/metrics``, ``/health/live`` and ``/health/ready`` for a service process.

A process may host several service containers (the embedded default runs a
whole site per process); they share one small HTTP server, started by the
first ``Observability`` provider on ``OBSERVABILITY_ADDRESS``. Readiness asks
every container in the process: can it reach its database, and is its broker
connection up? ``Observability`` also times every entrypoint and binds the
worker's call id to the log context.
"""

from __future__ import annotations

import json
import logging
import time

import eventlet
import eventlet.wsgi
from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from kit import logs, metrics
from kit.config import ConfigError

log = logging.getLogger(__name__)
ADDRESS_KEY = "OBSERVABILITY_ADDRESS"
_BROKER_CHECK_TTL = 15.0


class _Server:
    """The process-wide HTTP server and the readiness checks registered with it."""

    def __init__(self):
        self.checks: dict[str, Observability] = {}
        self.address: str | None = None
        # The services this process runs, and those whose container has started all its
        # entrypoints: a container being started again after a broker failure is not ready.
        self.expected: set[str] = set()
        self.running: set[str] = set()
        self._gt = None

    @property
    def all_started(self) -> bool:
        return bool(self.expected) and self.expected <= self.running

    def ensure_started(self, address: str) -> None:
        if self._gt is not None:
            return
        host, port = address.rsplit(":", 1)
        try:
            sock = eventlet.listen((host, int(port)))
        except OSError as exc:
            raise ConfigError(f"cannot serve metrics and health on {address}: {exc.strerror}") from None
        self.address = address
        self._gt = eventlet.spawn(
            eventlet.wsgi.server, sock, self.app, log_output=False, log=logging.getLogger("kit.observability.http")
        )

    def readiness(self) -> tuple[bool, dict]:
        services = {name: obs.readiness() for name, obs in sorted(self.checks.items()) if name in self.running}
        ready = self.all_started and all(s["ready"] for s in services.values())
        return ready, {"ready": ready, "started": self.all_started, "services": services}

    def app(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [generate_latest()]
        if path == "/health/live":
            return _json(start_response, 200, {"live": True})
        if path == "/health/ready":
            ready, body = self.readiness()
            return _json(start_response, 200 if ready else 503, body)
        return _json(start_response, 404, {"title": "not found"})


def _json(start_response, status: int, body: dict):
    reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


SERVER = _Server()


class Observability(DependencyProvider):
    """Metrics, health and log context for one service container."""

    def setup(self):
        self.service = self.container.service_name
        self._broker_ok_until = 0.0
        self._db = None
        self._started = {}
        for dep in self.container.dependencies:
            if type(dep).__name__ == "Database":
                self._db = dep

    def start(self):
        address = self.container.config.get(ADDRESS_KEY)
        SERVER.checks[self.service] = self
        if address:
            SERVER.ensure_started(address)

    def stop(self):
        SERVER.checks.pop(self.service, None)

    def readiness(self, via_broker: bool = False) -> dict:
        """Database and broker checks; ``via_broker`` when asked over RPC, which proves the broker path."""
        broker = "ok" if via_broker else self._check_broker()
        checks = {"database": self._check_database(), "broker": broker}
        return {"ready": all(v == "ok" for v in checks.values()), "checks": checks}

    def _check_database(self) -> str:
        if self._db is None:
            return "ok"
        try:
            with self._db.store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            pool = self._db.store.engine.pool
            if hasattr(pool, "checkedout"):
                metrics.DB_POOL_CHECKED_OUT.labels(self.service).set(pool.checkedout())
            return "ok"
        except Exception as exc:  # report, never raise, from a health probe
            return f"error: {type(exc).__name__}"

    def _check_broker(self) -> str:
        if time.monotonic() < self._broker_ok_until:
            return "ok"
        try:
            with Connection(self.container.config[AMQP_URI_CONFIG_KEY], connect_timeout=5) as conn:
                conn.ensure_connection(max_retries=0, timeout=5)  # one attempt: a probe reports, never waits
            self._broker_ok_until = time.monotonic() + _BROKER_CHECK_TTL
            return "ok"
        except Exception as exc:
            return f"error: {type(exc).__name__}"

    def get_dependency(self, worker_ctx):
        return self

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()
        logs.bind_call(worker_ctx.call_id, worker_ctx.call_id_stack, self.service)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        entry = worker_ctx.entrypoint
        kind = "event" if type(entry).__name__ == "EventHandler" else "rpc"
        metrics.ENTRYPOINT_SECONDS.labels(
            self.service,
            entry.method_name,
            kind,
            "error" if exc_info else "ok",
        ).observe(time.perf_counter() - started)

    def worker_teardown(self, worker_ctx):
        logs.clear_call()
