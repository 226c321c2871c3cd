"""Running one site: its service containers in one process.

A Mission site runs its five services, InterMire its sector reporting. Each
service gets its own container config (its own broker user and database);
they share the process's ``/metrics`` and ``/health/*`` server. Before any
container starts, ``check_secrets`` and ``preflight`` check the
configuration and stop the process with one clear line when a secret is
missing outside development mode (a broker password, the sector key), the
site is unknown, a database is unreachable or unmigrated, or the broker
refuses the vhost. The InterMire site reads pseudonyms only: it never asks for
the sector key, drops one given by mistake from its environment, and forbids
it in its process (``kit.pseudonym.forbid_key``).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

import eventlet
from amqp import exceptions as amqp_exceptions
from kombu import Connection
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko.containers import ServiceContainer
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from kit import pseudonym
from kit.config import ConfigError
from kit.db import DATABASE_POOL_KEY, DATABASES_KEY, check_connection, make_engine
from kit.forwarded import AGENCIES_VHOST_KEY, MISSION_VHOSTS_KEY, TRANSFERS_VHOST_KEY
from kit.observability import ADDRESS_KEY, SERVER
from kit.registry import INTERMIRE, Registry, Site
from kit.rpc import RPC_TIMEOUT_KEY
from kit.service import MISSIONS_KEY, SITE_KEY, SITE_KIND_KEY
from kit.topology import load_service_class

log = logging.getLogger(__name__)


def container_config(registry: Registry, site: Site, service: str, port: int | None = None) -> dict:
    return {
        "AMQP_URI": site.amqp_uri(service),
        "HEARTBEAT": registry.broker["heartbeat"],
        DATABASES_KEY: {service: site.database_url(service)},
        DATABASE_POOL_KEY: registry.platform["database_pool_size"],
        SITE_KEY: site.code,
        SITE_KIND_KEY: site.kind,
        MISSIONS_KEY: [m.code for m in registry.missions],
        # Where a transfer may come from, as the broker's forward headers name it (kit.forwarded).
        TRANSFERS_VHOST_KEY: registry.transfers_vhost,
        MISSION_VHOSTS_KEY: {m.code: m.vhost for m in registry.missions},
        # Where an agency's events come from (kit.forwarded.admit_agency_event).
        AGENCIES_VHOST_KEY: registry.agencies_vhost,
        RPC_TIMEOUT_KEY: registry.platform["rpc_timeout"],
        ADDRESS_KEY: f"{registry.platform['observability_host']}:{port or site.observability_port}",
        "serializer": "json",
        "max_workers": 10,
    }


def check_secrets(site: Site, classes: dict) -> None:
    """Every secret the site's services need, before anything connects: ``ConfigError`` naming a missing one."""
    for service in classes:
        site.amqp_uri(service)  # its broker password (kit.broker)
    if site.kind == INTERMIRE:
        if os.environ.pop(pseudonym.SECTOR_KEY_ENV, None):
            log.warning("the InterMire site was given %s: dropped, it holds no sector key", pseudonym.SECTOR_KEY_ENV)
        pseudonym.forbid_key("the InterMire site reads pseudonyms only and holds no sector key")
    elif any(getattr(cls, "uses_sector_key", False) for cls in classes.values()):
        pseudonym.sector_key()


def preflight(registry: Registry, site: Site, services) -> None:
    """Every database first (``up`` forks the sites while its node boots: the databases are there already), then
    the broker: one service's check waits for it, the others' then go side by side, each its own connection."""
    for service in services:
        url = site.database_url(service)
        sqlite_file = make_url(url).database if url.startswith("sqlite") else None
        if sqlite_file and not Path(sqlite_file).exists():
            raise ConfigError(
                f"database of {site.code}/{service} is not migrated (no file {sqlite_file}): run 'passerelle migrate'"
            )
        engine = make_engine(url)
        try:
            check_connection(engine)
            if not inspect(engine).has_table("outbox"):
                raise ConfigError(f"database of {site.code}/{service} is not migrated: run 'passerelle migrate'")
        finally:
            engine.dispose()
    services = list(services)
    if not services:
        return
    first, *others = services
    check_broker(site.amqp_uri(first), site.vhost, site.broker_user(first))
    # Green threads: the four connections' handshakes overlap instead of following one another once the
    # node has opened its port; a refusal among them is raised by its wait.
    checks = [eventlet.spawn(check_broker, site.amqp_uri(name), site.vhost, site.broker_user(name)) for name in others]
    for check in checks:
        check.wait()


def check_broker(uri: str, vhost: str, user: str, wait: float = 30.0) -> None:
    """Refusals stop the process at once; a broker that is slow, restarting or still booting gets ``wait`` seconds.

    ``up`` starts the sites while its node boots: they are ready to connect the moment it opens its port.
    """
    deadline = time.monotonic() + wait
    waiting = False
    while True:
        try:
            with Connection(uri, connect_timeout=5) as conn:
                # One attempt: kombu's own retry sleeps two seconds first, and this loop already retries.
                conn.ensure_connection(max_retries=0, timeout=5)
            if waiting:
                log.info("broker answers for %s", vhost)
            return
        except Exception as exc:
            text = str(exc)
            if "vhost" in text or "NOT_ALLOWED" in text:
                raise ConfigError(f"broker refuses vhost {vhost} to {user}: run 'passerelle broker-setup'") from None
            if "ACCESS_REFUSED" in text or "authentication" in text.lower():
                raise ConfigError(f"broker refuses user {user}: run 'passerelle broker-setup'") from None
            if time.monotonic() > deadline:
                raise ConfigError(f"broker unreachable for {vhost}: {type(exc).__name__}: {text[:120]}") from None
            if not waiting:  # once: a booting broker is expected, a line a second per service is noise
                log.info("broker not answering for %s yet (%s); waiting up to %.0fs", vhost, type(exc).__name__, wait)
                waiting = True
            time.sleep(0.2)


# A container whose broker connection was refused, reset or timed out is started again, with a growing
# pause, for as long as its failures keep coming within this many seconds of the first one: long enough for
# a broker swamped by a whole platform's connections at once, short enough that a broker really gone still
# ends the process (and whatever supervises it, Kubernetes or an operator, sees it).
RETRY_FOR = 60.0
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)
START_TIMEOUT = 30.0  # a container whose consumers never become ready within this counts as failed


class StartTimeout(Exception):
    """A container's entrypoints did not all start in ``START_TIMEOUT`` seconds."""


def transient(exc: BaseException) -> bool:
    """A broker connection refused, reset, timed out or closed by the broker: worth another try.

    A refusal of the user or the vhost is a configuration error, never retried.
    """
    seen = exc
    while seen is not None:
        if isinstance(seen, (amqp_exceptions.AccessRefused, amqp_exceptions.NotAllowed)):
            return False
        if isinstance(
            seen,
            (
                StartTimeout,
                OSError,
                KombuOperationalError,
                amqp_exceptions.ConnectionError,
                amqp_exceptions.RecoverableConnectionError,
            ),
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class Keeper:
    """Runs one service's container; starts a fresh one after a transient broker failure, within ``RETRY_FOR``."""

    def __init__(self, make_container, service: str, stopping: eventlet.event.Event):
        self.make_container, self.service, self.stopping = make_container, service, stopping
        self.container = None
        self.started = eventlet.event.Event()  # sent once, at the first successful start

    def run(self) -> None:
        failures, first_failure = 0, None
        while not self.stopping.ready():
            self.container = self.make_container()
            began = time.monotonic()
            try:
                with eventlet.Timeout(START_TIMEOUT, StartTimeout(f"{self.service} did not start")):
                    self.container.start()
                SERVER.running.add(self.service)
                if not self.started.ready():
                    self.started.send(True)
                self.container.wait()
                return  # stopped by the site
            except Exception as exc:
                SERVER.running.discard(self.service)
                if self.stopping.ready():
                    return
                now = time.monotonic()
                if first_failure is None or now - began > RETRY_FOR:
                    failures, first_failure = 0, now  # it had run a good while: a new streak starts
                if not transient(exc) or now - first_failure > RETRY_FOR:
                    log.error("service %s died: %s: %s", self.service, type(exc).__name__, exc)
                    self.stopping.send("died")
                    return
                pause = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                log.warning(
                    "service %s lost the broker while starting or running (%s: %s); starting it again "
                    "in %.1fs (attempt %d)",
                    self.service,
                    type(exc).__name__,
                    str(exc)[:160],
                    pause,
                    failures + 1,
                )
                self._discard()
                eventlet.sleep(pause)

    def _discard(self) -> None:
        try:
            self.container.kill()
        except Exception as exc:  # a half-started container may fail to die cleanly; it is dropped anyway
            log.debug("killing the failed container of %s: %s", self.service, exc)

    def stop(self) -> None:
        if self.container is not None and self.service in SERVER.running:
            self.container.stop()
        elif self.container is not None:
            self._discard()


def run(registry: Registry, site: Site, only: list[str] | None = None, port: int | None = None) -> None:
    """Start the site's containers (or ``only`` those) and serve until SIGTERM/SIGINT or a container dies for good."""
    services = {name: path for name, path in site.services.items() if not only or name in only}
    unknown = set(only or ()) - set(site.services)
    if unknown:
        raise ConfigError(f"site {site.code} runs no service named {', '.join(sorted(unknown))}")
    classes = {service: load_service_class(path) for service, path in services.items()}
    check_secrets(site, classes)
    preflight(registry, site, services)
    SERVER.ensure_started(f"{registry.platform['observability_host']}:{port or site.observability_port}")
    SERVER.expected = set(services)
    stopping = eventlet.event.Event()

    def shutdown(signum, frame):
        if not stopping.ready():
            stopping.send(signum)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)

    def maker(service):
        return lambda: ServiceContainer(classes[service], container_config(registry, site, service, port))

    keepers = [Keeper(maker(service), service, stopping) for service in services]
    threads = [eventlet.spawn(keeper.run) for keeper in keepers]

    def announce():
        for keeper in keepers:
            keeper.started.wait()
        log.info(
            "site %s ready: %s on %s, metrics and health on %s:%d",
            site.code,
            ", ".join(services),
            site.vhost,
            registry.platform["observability_host"],
            port or site.observability_port,
        )

    threads.append(eventlet.spawn(announce))
    reason = stopping.wait()
    log.info("site %s stopping (%s)", site.code, reason)
    # Side by side: each container's stop waits on its consumers' and relay's loops (about two seconds),
    # and five of them one after the other made a Mission take ten seconds to stop.
    stops = [eventlet.spawn(keeper.stop) for keeper in keepers]
    for stop in stops:
        stop.wait()
    for thread in threads:
        thread.kill()
    if reason == "died":
        raise SystemExit(1)
