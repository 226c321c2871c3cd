"""Running one site: its service containers in one process.

A Mission site runs its five services, InterMire its sector reporting. Each
service gets its own container config (its own broker user and database);
they share the process's ``/metrics`` and ``/health/*`` server. Before any
container starts, ``preflight`` checks the configuration and stops the
process with one clear line when the site is unknown, a database is
unreachable or unmigrated, or the broker refuses the vhost.
"""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path

import eventlet
from kombu import Connection
from nameko.containers import ServiceContainer
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from kit.config import ConfigError
from kit.db import DATABASE_POOL_KEY, DATABASES_KEY, check_connection, make_engine
from kit.observability import ADDRESS_KEY, SERVER
from kit.registry import Registry, Site
from kit.rpc import RPC_TIMEOUT_KEY
from kit.service import SITE_KEY, SITE_KIND_KEY
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
        RPC_TIMEOUT_KEY: registry.platform["rpc_timeout"],
        ADDRESS_KEY: f"{registry.platform['observability_host']}:{port or site.observability_port}",
        "serializer": "json",
        "max_workers": 10,
    }


def preflight(registry: Registry, site: Site, services) -> None:
    for service in services:
        url = site.database_url(service)
        sqlite_file = make_url(url).database if url.startswith("sqlite") else None
        if sqlite_file and not Path(sqlite_file).exists():
            raise ConfigError(f"database of {site.code}/{service} is not migrated (no file {sqlite_file}): "
                              "run 'passerelle migrate'")
        engine = make_engine(url)
        try:
            check_connection(engine)
            if not inspect(engine).has_table("outbox"):
                raise ConfigError(f"database of {site.code}/{service} is not migrated: run 'passerelle migrate'")
        finally:
            engine.dispose()
        check_broker(site.amqp_uri(service), site.vhost, site.broker_user(service))


def check_broker(uri: str, vhost: str, user: str, wait: float = 30.0) -> None:
    """Refusals stop the process at once; a broker that is slow or restarting gets ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            with Connection(uri, connect_timeout=5) as conn:
                conn.ensure_connection(max_retries=1, timeout=5)
            return
        except Exception as exc:
            text = str(exc)
            if "vhost" in text or "NOT_ALLOWED" in text:
                raise ConfigError(f"broker refuses vhost {vhost} to {user}: run 'passerelle broker-setup'") from None
            if "ACCESS_REFUSED" in text or "authentication" in text.lower():
                raise ConfigError(f"broker refuses user {user}: run 'passerelle broker-setup'") from None
            if time.monotonic() > deadline:
                raise ConfigError(f"broker unreachable for {vhost}: {type(exc).__name__}: {text[:120]}") from None
            log.warning("broker not answering for %s yet (%s); retrying", vhost, type(exc).__name__)
            time.sleep(1)


def run(registry: Registry, site: Site, only: list[str] | None = None, port: int | None = None) -> None:
    """Start the site's containers (or ``only`` those) and serve until SIGTERM/SIGINT or a container dies."""
    services = {name: path for name, path in site.services.items() if not only or name in only}
    unknown = set(only or ()) - set(site.services)
    if unknown:
        raise ConfigError(f"site {site.code} runs no service named {', '.join(sorted(unknown))}")
    preflight(registry, site, services)
    SERVER.ensure_started(f"{registry.platform['observability_host']}:{port or site.observability_port}")
    containers = [ServiceContainer(load_service_class(path), container_config(registry, site, service, port))
                  for service, path in services.items()]
    stopping = eventlet.event.Event()

    def shutdown(signum, frame):
        if not stopping.ready():
            stopping.send(signum)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    for container in containers:
        container.start()
    SERVER.all_started = True

    def watch(container):
        try:
            container.wait()
        except Exception as exc:
            log.error("service %s died: %s", container.service_name, exc)
        if not stopping.ready():
            stopping.send("died")

    for container in containers:
        eventlet.spawn(watch, container)
    log.info("site %s ready: %s on %s, metrics and health on %s:%d", site.code, ", ".join(services), site.vhost,
             registry.platform["observability_host"], port or site.observability_port)
    reason = stopping.wait()
    log.info("site %s stopping (%s)", site.code, reason)
    for container in containers:
        container.stop()
    if reason == "died":
        raise SystemExit(1)
