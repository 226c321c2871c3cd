"""Is this broker fit to carry the platform? Asked by ``up`` before it changes anything.

Each check answers in a few seconds and fails with one ``ConfigError`` line that
names the cause and the fix, because the failures seen on real machines all
looked alike from outside (``up`` waited two minutes and said "not ready"):

* nothing listens on the AMQP port;
* the port accepts TCP but the AMQP handshake never comes: a broker that has
  run out of file handles, or is frozen, accepts the socket and then stays
  silent (``HANDSHAKE_TIMEOUT``);
* the credentials are refused;
* the management API does not answer (plugin not enabled), or refuses the
  admin user;
* the shovel plugin, which carries events between sites, is not running;
* the node's open-file budget cannot hold the topology: RabbitMQ 3.10
  reserves three file handles for each quorum queue (``HANDLES_PER_QUORUM_QUEUE``)
  out of the budget its client sockets share, and a node past it stops
  completing handshakes for every client on the machine
  (``runtime/rabbit_node.py`` says why the embedded default runs its own node).
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

import amqp
import requests

from kit.config import ConfigError

HANDSHAKE_TIMEOUT = 5.0
HANDLES_PER_QUORUM_QUEUE = 3
# What RabbitMQ keeps out of the open-file limit for itself (file_handle_cache's reserve).
RESERVED_BY_RABBITMQ = 100
# Broker connections each service process keeps (consumers, relay, RPC replies) and what the gateway and the
# shovels open, measured with every site up (ARCHITECTURE.md, "The embedded broker"), with room to spare.
CONNECTIONS_PER_SERVICE = 4
ENABLE_PLUGINS = "rabbitmq-plugins enable rabbitmq_management rabbitmq_shovel rabbitmq_shovel_management"


@dataclass(frozen=True)
class Need:
    """What the platform will take from the broker: quorum queues to declare and connections to open."""

    quorum_queues: int
    connections: int

    @property
    def handles(self) -> int:
        return RESERVED_BY_RABBITMQ + HANDLES_PER_QUORUM_QUEUE * self.quorum_queues + self.connections


def need_of(registry) -> Need:
    """The registry's topology, counted from the same definitions document broker setup imports."""
    from kit.definitions import rabbitmq_definitions

    queues = rabbitmq_definitions(registry)["queues"]
    quorum = sum(1 for q in queues if q.get("arguments", {}).get("x-queue-type") == "quorum")
    services = sum(len(site.services) for site in registry.sites)
    shovels = 3 * len(registry.missions)
    return Need(
        quorum_queues=quorum, connections=CONNECTIONS_PER_SERVICE * services + 2 * shovels + len(registry.sites) * 2
    )


def where(broker: dict) -> str:
    return f"RabbitMQ at {broker['host']}:{broker['port']}"


def check_tcp(broker: dict, help_text: str) -> None:
    try:
        with socket.create_connection((broker["host"], int(broker["port"])), timeout=3):
            return
    except OSError:
        raise ConfigError(f"nothing answers at amqp://{broker['host']}:{broker['port']}: {help_text}") from None


def check_handshake(broker: dict, timeout: float = HANDSHAKE_TIMEOUT) -> None:
    """An AMQP connection as the admin user on ``/``, opened and closed within ``timeout`` seconds."""
    conn = amqp.Connection(
        f"{broker['host']}:{broker['port']}",
        userid=broker["admin_user"],
        password=broker["admin_password"],
        virtual_host="/",
        connect_timeout=timeout,
        read_timeout=timeout,
        write_timeout=timeout,
    )
    started = time.monotonic()
    try:
        conn.connect()
    except amqp.exceptions.AccessRefused:
        raise ConfigError(
            f"{where(broker)} refused user '{broker['admin_user']}': check PASSERELLE_BROKER_ADMIN_USER and "
            "PASSERELLE_BROKER_ADMIN_PASSWORD (RabbitMQ lets 'guest' in from the loopback address only)"
        ) from None
    except (OSError, amqp.exceptions.AMQPError) as exc:
        waited = time.monotonic() - started
        raise ConfigError(
            f"{where(broker)} accepts connections but did not complete the AMQP handshake in {waited:.0f}s "
            f"({type(exc).__name__}): it is frozen or out of file handles (see "
            "\"rabbitmqctl eval 'file_handle_cache:info().'\"); restart it, or let 'up' run its own node "
            "(PASSERELLE_BROKER_EMBEDDED=true)"
        ) from None
    finally:
        try:
            conn.collect()
        except Exception:  # a half-open connection has nothing worth reporting on close
            pass


def _management(broker: dict, path: str):
    url = broker["management_url"].rstrip("/") + "/api" + path
    try:
        resp = requests.get(url, auth=(broker["admin_user"], broker["admin_password"]), timeout=HANDSHAKE_TIMEOUT)
    except requests.RequestException:
        raise ConfigError(
            f"RabbitMQ's management API does not answer at {broker['management_url']}: enable its plugins "
            f"('{ENABLE_PLUGINS}') or set PASSERELLE_BROKER_MANAGEMENT_URL"
        ) from None
    if resp.status_code == 401:
        raise ConfigError(
            f"RabbitMQ's management API refused user '{broker['admin_user']}' "
            "(PASSERELLE_BROKER_ADMIN_USER / PASSERELLE_BROKER_ADMIN_PASSWORD, administrator tag)"
        )
    if not resp.ok:
        raise ConfigError(f"RabbitMQ's management API answered {resp.status_code} to GET {path}")
    return resp.json()


def file_limit_of(broker: dict, wait: float = 15.0) -> int | None:
    """The node's open-file limit, from its statistics (they come a few seconds after boot); None if disabled."""
    deadline = time.monotonic() + wait
    while True:
        nodes = _management(broker, "/nodes")
        if nodes and "fd_total" in nodes[0]:
            return nodes[0]["fd_total"]
        if time.monotonic() > deadline:
            return None
        time.sleep(0.5)


def check_plugins(broker: dict) -> None:
    """The management API answers and takes the admin user; the shovel plugins answer at ``/api/shovels``."""
    _management(broker, "/overview")
    url = broker["management_url"].rstrip("/") + "/api/shovels"
    resp = requests.get(url, auth=(broker["admin_user"], broker["admin_password"]), timeout=HANDSHAKE_TIMEOUT)
    if resp.status_code == 404:
        raise ConfigError(
            f"{where(broker)} does not run the shovel plugins, which carry events between sites: '{ENABLE_PLUGINS}'"
        )


def check_file_budget(limit: int | None, broker: dict, need: Need, quorum_elsewhere: int = 0) -> None:
    """The node's open-file limit against the platform's need and the quorum queues it already holds."""
    if not limit:
        return  # statistics disabled on that node: nothing to compare with
    wanted = need.handles + HANDLES_PER_QUORUM_QUEUE * quorum_elsewhere
    if limit < wanted:
        raise ConfigError(
            f"{where(broker)} may open {limit} files; the platform needs about {wanted} ({need.quorum_queues} "
            f"quorum queues at {HANDLES_PER_QUORUM_QUEUE} file handles each, {need.connections} connections"
            + (f", {quorum_elsewhere} quorum queues already there" if quorum_elsewhere else "")
            + "). Declaring it would leave the broker unable to accept any connection: raise its limit "
            "(LimitNOFILE=65536 in its systemd unit, or 'ulimit -n 65536' before rabbitmq-server), or let 'up' "
            "run its own node (PASSERELLE_BROKER_EMBEDDED=true)"
        )


def quorum_queues_not_ours(broker: dict, registry) -> int:
    """Quorum queues on the node that the registry's topology does not declare (another user's)."""
    from kit.definitions import rabbitmq_definitions

    ours = {(q["vhost"], q["name"]) for q in rabbitmq_definitions(registry)["queues"]}
    present = _management(broker, "/queues?columns=name,vhost,type")
    return sum(1 for q in present if q.get("type") == "quorum" and (q["vhost"], q["name"]) not in ours)


def check_node(registry, file_limit: int | None) -> None:
    """The embedded node (no management plugins): the admin's AMQP handshake and the open-file budget.

    Its plugins are the ones it was started with, and nothing but the platform's topology lives on it.
    """
    check_handshake(registry.broker)
    check_file_budget(file_limit, registry.broker, need_of(registry))


def check_broker(registry, help_text: str, file_limit: int | None = None) -> None:
    """Every check, cheapest first; returns quietly when the broker can carry the platform.

    ``file_limit``: the node's open-file limit when the caller knows it (the embedded node's, read from
    ``/proc``); otherwise it is read from the node's statistics.
    """
    broker = registry.broker
    check_tcp(broker, help_text)
    check_handshake(broker)
    check_plugins(broker)
    limit = file_limit if file_limit is not None else file_limit_of(broker)
    check_file_budget(limit, broker, need_of(registry), quorum_queues_not_ours(broker, registry))
