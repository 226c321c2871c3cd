"""Broker setup: vhosts, users, permissions, exchanges, queues and shovels.

Declared through RabbitMQ's management HTTP API before any service starts,
and idempotent, so it can run at every ``up``. For each Mission vhost:

* exchanges ``nameko-rpc`` (RPC), ``passerelle.events`` (internal events),
  ``passerelle.sector`` and ``passerelle.agency`` (what may leave the
  Mission) and ``passerelle.dlx`` (dead letters);
* one quorum queue per event handler of the site's services, bound to each
  event type it handles, with its dead-letter queue — every consumer queue
  exists before anything publishes;
* ``outgoing.sector``, ``outgoing.agency`` and ``outgoing.feedback``, from which
  a shovel carries the sector events to ``/intermire``, and the agency events
  and the refusals of what an agency sent to ``/agencies``: nothing else leaves
  a Mission, and no application code copies messages;
* ``passerelle.agency.in``, where a shovel per agency from its
  ``<agency>.inbound.<code>`` queue on ``/agencies`` delivers what that agency
  sends this Mission;
* ``passerelle.signals``, where a shovel from InterMire's ``signals.<code>``
  queue delivers the signals addressed to this Mission (pseudonyms only);
* ``outgoing.transfer`` (bound to ``passerelle.transfers``), from which a
  shovel carries the Mission's transfers of a person's file to the
  transfers vhost, and ``passerelle.transfers.in``, where a shovel from the
  transfers vhost's ``transfers.<code>`` queue delivers the transfers
  addressed to this Mission;
* one broker user per service, allowed only its own queues, ``nameko-rpc``
  and the exchanges it publishes to.

``/intermire`` receives sector events only; ``/agencies`` has a durable queue
per agency that only that agency's user may read (and its dead letters,
where its consumer's rejects go), and its feedback queue (the Missions'
refusals of its events, and their dead letters), also read by it alone. Each
agency publishes to its own ``<agency>.inbound`` exchange and nowhere else,
and configures nothing; a queue per agency and Mission there, bound to the
Mission's code, is shovelled into that Mission (with forward headers, which
tell the Mission which agency's queue it came from: ``kit.forwarded``).
``contracts/asyncapi.yaml`` describes these exchanges and queues to the agencies.
``/transfers`` has one queue per Mission, bound to the Mission's code: only
the shovel user may read or write there, so no Mission, InterMire or agency
user can read a transfer (which carries a person's file) on its way.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import requests

from kit.broker import amqp_uri
from kit.config import ConfigError
from kit.consumer import AGENCY_IN, DLX, SOURCES, TRANSFERS_IN, binding_key, handlers_of, queue_arguments, queue_name
from kit.outbox import AGENCIES, EXCHANGES
from kit.registry import Registry, Site

RPC_EXCHANGE = "nameko-rpc"
OUTGOING = {
    "sector": "outgoing.sector",
    "agency": "outgoing.agency",
    "transfer": "outgoing.transfer",
    "feedback": "outgoing.feedback",
}
GATEWAY_USER = "gateway"
SHOVEL_USER = "shovel"
AGENCY_QUEUE = "{agency}.events"
SIGNALS_QUEUE = "signals.{mission}"
TRANSFERS_QUEUE = "transfers.{mission}"
# What an agency sends the Missions (contracts.agency.inbound): its own exchange on /agencies, a queue per Mission
# bound to the Mission's code, and a shovel per queue into the Mission's AGENCY_IN; the Missions' refusals come back
# on its feedback queue.
INBOUND_EXCHANGE = "{agency}.inbound"
INBOUND_QUEUE = "{agency}.inbound.{mission}"
INBOUND_SHOVEL = "{agency}-to-{mission}"
FEEDBACK_QUEUE = "{agency}.feedback"


def load_service_class(path: str):
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


class Declarer(Protocol):
    """What the topology needs of a broker's management API: the real one, or a recorder (kit.definitions)."""

    def put(self, path: str, body: dict) -> Any: ...
    def post(self, path: str, body: dict) -> Any: ...
    def get(self, path: str, ok: tuple = ...) -> Any: ...
    def delete(self, path: str) -> Any: ...


@dataclass
class Management:
    """A thin client of RabbitMQ's management API."""

    url: str
    user: str
    password: str

    def _call(self, method: str, path: str, body=None, ok=(200, 201, 204)):
        # Every call here is idempotent (declarations, bindings, deletions), so a
        # management API slowed down by a busy broker is simply asked again.
        for attempt in range(1, 4):
            try:
                resp = requests.request(
                    method, self.url.rstrip("/") + "/api" + path, json=body, auth=(self.user, self.password), timeout=30
                )
                break
            except requests.ConnectionError:
                raise ConfigError(
                    f"RabbitMQ management API does not answer at {self.url}: start RabbitMQ "
                    "('rabbitmq-server -detached') and enable its plugins "
                    "('rabbitmq-plugins enable rabbitmq_management rabbitmq_shovel rabbitmq_shovel_management')"
                ) from None
            except requests.Timeout:
                if attempt == 3:
                    raise ConfigError(f"RabbitMQ management API at {self.url} timed out on {method} {path}") from None
        if resp.status_code not in ok:
            raise ConfigError(f"RabbitMQ refused {method} {path}: {resp.status_code} {resp.text[:200]}")
        return resp.json() if resp.content else None

    def get(self, path: str, ok=(200,)):
        return self._call("GET", path, ok=ok)

    def put(self, path: str, body: dict):
        return self._call("PUT", path, body)

    def post(self, path: str, body: dict):
        return self._call("POST", path, body)

    def delete(self, path: str):
        return self._call("DELETE", path, ok=(200, 204, 404))


def q(name: str) -> str:
    return quote(name, safe="")


def management_for(registry: Registry) -> Management:
    b = registry.broker
    return Management(b["management_url"], b["admin_user"], b["admin_password"])


class Topology:
    """Declares the whole platform's broker topology for a registry."""

    def __init__(self, registry: Registry, mgmt: Declarer | None = None):
        self.registry = registry
        self.mgmt = mgmt or management_for(registry)

    # -- building blocks -------------------------------------------------
    def vhost(self, vhost: str):
        self.mgmt.put(f"/vhosts/{q(vhost)}", {"description": "passerelle"})
        # The admin user (broker setup itself) may manage every vhost.
        self.permit(self.registry.broker["admin_user"], vhost, ".*", ".*", ".*")

    def exchange(self, vhost: str, name: str, type_: str):
        self.mgmt.put(f"/exchanges/{q(vhost)}/{q(name)}", {"type": type_, "durable": True})

    def queue(self, vhost: str, name: str, arguments: dict):
        self.mgmt.put(f"/queues/{q(vhost)}/{q(name)}", {"durable": True, "arguments": arguments})

    def bind(self, vhost: str, exchange: str, queue: str, routing_key: str):
        self.mgmt.post(f"/bindings/{q(vhost)}/e/{q(exchange)}/q/{q(queue)}", {"routing_key": routing_key})

    def user(self, name: str):
        self.mgmt.put(f"/users/{q(name)}", {"password": self.registry.password_for(name), "tags": ""})
        return name

    def permit(self, user: str, vhost: str, configure: str, write: str, read: str):
        self.mgmt.put(f"/permissions/{q(vhost)}/{q(user)}", {"configure": configure, "write": write, "read": read})

    def dead_lettered_queue(self, vhost: str, name: str, routing_key: str, exchange: str):
        self.queue(vhost, name, queue_arguments(name))
        self.queue(vhost, f"{name}.dead", {"x-queue-type": "quorum"})
        self.bind(vhost, DLX, f"{name}.dead", name)
        self.bind(vhost, exchange, name, routing_key)

    def base_exchanges(self, vhost: str, exchanges):
        self.exchange(vhost, DLX, "direct")
        for name in exchanges:
            self.exchange(vhost, name, "topic")

    # -- sites -----------------------------------------------------------
    def site(self, site: Site):
        vhost = site.vhost
        self.vhost(vhost)
        self.base_exchanges(
            vhost,
            [RPC_EXCHANGE, *EXCHANGES.values(), TRANSFERS_IN, AGENCY_IN]
            if site.is_mission
            else [RPC_EXCHANGE, EXCHANGES["sector"], EXCHANGES["signal"]],
        )
        for service, path in site.services.items():
            for method, event_type, source in handlers_of(load_service_class(path)):
                self.dead_lettered_queue(
                    vhost, queue_name(service, method), binding_key(source, event_type), SOURCES[source]
                )
            self._service_user(site, service)
        if site.is_mission:
            for audience, name in OUTGOING.items():
                self.queue(vhost, name, {"x-queue-type": "quorum"})
                self.bind(vhost, EXCHANGES[audience], name, "#")
        else:
            # One queue per Mission for the signals InterMire sends it, shovelled to that Mission.
            for mission in self.registry.missions:
                self.queue(vhost, SIGNALS_QUEUE.format(mission=mission.code), {"x-queue-type": "quorum"})
                self.bind(vhost, EXCHANGES["signal"], SIGNALS_QUEUE.format(mission=mission.code), f"{mission.code}.#")
        gateway = self.user(self.registry.prefix + GATEWAY_USER)
        reply = r"rpc\.reply-standalone_rpc_proxy-.+"
        self.permit(
            gateway, vhost, f"^({reply}|{RPC_EXCHANGE})$", f"^({reply}|{RPC_EXCHANGE})$", f"^({reply}|{RPC_EXCHANGE})$"
        )

    def _service_user(self, site: Site, service: str):
        user = self.user(site.broker_user(service))
        svc = re.escape(service)
        own = rf"rpc-{svc}|rpc\.reply-{svc}-.+"
        publishes = "|".join(re.escape(e) for e in [RPC_EXCHANGE, DLX, *EXCHANGES.values()])
        self.permit(
            user,
            site.vhost,
            configure=f"^({own}|{re.escape(RPC_EXCHANGE)})$",
            write=f"^({own}|{publishes})$",
            read=rf"^({own}|{re.escape(RPC_EXCHANGE)}|{svc}\..+)$",
        )

    def agencies(self):
        vhost = self.registry.agencies_vhost
        self.vhost(vhost)
        self.base_exchanges(
            vhost, [EXCHANGES["agency"], EXCHANGES["feedback"], *(INBOUND_EXCHANGE.format(agency=a) for a in AGENCIES)]
        )
        for agency in AGENCIES:
            name = AGENCY_QUEUE.format(agency=agency)
            self.dead_lettered_queue(vhost, name, f"{agency}.#", EXCHANGES["agency"])
            feedback = FEEDBACK_QUEUE.format(agency=agency)
            self.dead_lettered_queue(vhost, feedback, f"{agency}.#", EXCHANGES["feedback"])
            inbound = INBOUND_EXCHANGE.format(agency=agency)
            for mission in self.registry.missions:
                queue = INBOUND_QUEUE.format(agency=agency, mission=mission.code)
                self.queue(vhost, queue, {"x-queue-type": "quorum"})
                self.bind(vhost, inbound, queue, f"{mission.code}.#")
            user = self.user(self.registry.prefix + agency)
            # Read its own queues (events, feedback, their dead letters) and publish to its own inbound exchange,
            # nothing else; declare nothing.
            reads = "|".join(re.escape(q) for q in (name, feedback))
            self.permit(user, vhost, "^$", f"^{re.escape(inbound)}$", rf"^({reads})(\.dead)?$")

    def transfers(self):
        """The transfers vhost: one queue per Mission, bound to its code, that only the shovel user reads.

        One queue per Mission (not per pair of Missions) and two shovels per Mission: each Mission's
        to-transfers shovel brings what it sends here, and the exchange routes it by the addressee's code
        to that Mission's queue, which its own shovel delivers into the Mission's ``passerelle.transfers.in``.
        """
        vhost = self.registry.transfers_vhost
        self.vhost(vhost)
        self.exchange(vhost, EXCHANGES["transfer"], "topic")
        for mission in self.registry.missions:
            name = TRANSFERS_QUEUE.format(mission=mission.code)
            self.queue(vhost, name, {"x-queue-type": "quorum"})
            self.bind(vhost, EXCHANGES["transfer"], name, f"{mission.code}.#")

    def shovels(self):
        """Every flow between sites: Missions' sector and agency events out, InterMire's signals in, the
        agencies' events in (and the Missions' refusals of them out), and the transfers between Missions through
        the transfers vhost."""
        shovel = self.user(self.registry.prefix + SHOVEL_USER)
        intermire = self.registry.intermire
        agencies = self.registry.agencies_vhost
        transfers = self.registry.transfers_vhost
        signals = re.escape(EXCHANGES["signal"])
        inbound = f"{signals}|{re.escape(TRANSFERS_IN)}|{re.escape(AGENCY_IN)}"
        for mission in self.registry.missions:
            self.permit(shovel, mission.vhost, "^$", f"^({inbound})$", r"^outgoing\..+$")
            self._shovel(shovel, mission.vhost, "to-agency", OUTGOING["agency"], agencies, EXCHANGES["agency"])
            self._shovel(
                shovel, mission.vhost, "feedback-to-agency", OUTGOING["feedback"], agencies, EXCHANGES["feedback"]
            )
            # What each agency sends this Mission, with forward headers: the Mission learns which agency's queue a
            # message came from by what the broker wrote, not by the event's own word (kit.forwarded).
            for agency in AGENCIES:
                self._shovel(
                    shovel,
                    agencies,
                    INBOUND_SHOVEL.format(agency=agency, mission=mission.code),
                    INBOUND_QUEUE.format(agency=agency, mission=mission.code),
                    mission.vhost,
                    AGENCY_IN,
                    forward_headers=True,
                )
            # The transfer shovels add forward headers: the receiving Mission checks the way a transfer came
            # by what the broker wrote, not by what its sender claims (kit.forwarded).
            self._shovel(
                shovel,
                mission.vhost,
                "to-transfers",
                OUTGOING["transfer"],
                transfers,
                EXCHANGES["transfer"],
                forward_headers=True,
            )
            self._shovel(
                shovel,
                transfers,
                f"to-{mission.code}",
                TRANSFERS_QUEUE.format(mission=mission.code),
                mission.vhost,
                TRANSFERS_IN,
                forward_headers=True,
            )
            if intermire:
                self._shovel(
                    shovel, mission.vhost, "to-sector", OUTGOING["sector"], intermire.vhost, EXCHANGES["sector"]
                )
                self._shovel(
                    shovel,
                    intermire.vhost,
                    f"to-{mission.code}",
                    SIGNALS_QUEUE.format(mission=mission.code),
                    mission.vhost,
                    EXCHANGES["signal"],
                )
        agency_out = "|".join(re.escape(EXCHANGES[a]) for a in ("agency", "feedback"))
        inbound_queues = "|".join(re.escape(INBOUND_EXCHANGE.format(agency=a)) for a in AGENCIES)
        self.permit(shovel, agencies, "^$", f"^({agency_out})$", rf"^({inbound_queues})\..+$")
        self.permit(shovel, transfers, "^$", f"^{re.escape(EXCHANGES['transfer'])}$", r"^transfers\..+$")
        if intermire:
            self.permit(shovel, intermire.vhost, "^$", f"^{re.escape(EXCHANGES['sector'])}$", r"^signals\..+$")

    def _shovel(
        self,
        user: str,
        src_vhost: str,
        name: str,
        src_queue: str,
        dest_vhost: str,
        dest_exchange: str,
        forward_headers: bool = False,
    ):
        b = self.registry.broker
        password = self.registry.password_for(user)
        forward = {"add-forward-headers": True} if forward_headers else {}
        self.mgmt.put(
            f"/parameters/shovel/{q(src_vhost)}/{q(name)}",
            {
                "value": {
                    "src-protocol": "amqp091",
                    "src-uri": amqp_uri(b["host"], b["port"], src_vhost, user, password),
                    "src-queue": src_queue,
                    "dest-protocol": "amqp091",
                    "dest-uri": amqp_uri(b["host"], b["port"], dest_vhost, user, password),
                    "dest-exchange": dest_exchange,
                    # A message leaves its queue only once the destination broker has
                    # confirmed it: nothing lost on the way.
                    "ack-mode": "on-confirm",
                    "reconnect-delay": 5,
                }
                | forward
            },
        )

    def declare_all(self, sites: list[Site] | None = None) -> list[str]:
        """Declare everything; return the vhosts declared."""
        sites = sites or self.registry.sites
        self.agencies()
        self.transfers()
        # InterMire first: its signal queues must exist before a shovel reads them.
        ordered = sorted(sites, key=lambda s: s.is_mission)
        for site in ordered:
            self.site(site)
        self.shovels()
        return [self.registry.agencies_vhost, self.registry.transfers_vhost] + [s.vhost for s in ordered]

    def teardown(self, sites: list[Site] | None = None):
        """Delete the vhosts and users of these sites (tests and ``down --purge``).

        Shovels go first: a shovel whose destination vhost disappears under it
        reconnects in a loop, and hundreds of those slow the whole broker down.
        """
        sites = sites or self.registry.sites
        for vhost in [s.vhost for s in sites] + [self.registry.transfers_vhost, self.registry.agencies_vhost]:
            found = self.mgmt.get(f"/parameters/shovel/{q(vhost)}", ok=(200, 404))
            for shovel in found if isinstance(found, list) else []:
                self.mgmt.delete(f"/parameters/shovel/{q(vhost)}/{q(shovel['name'])}")
        for site in sites:
            self.mgmt.delete(f"/vhosts/{q(site.vhost)}")
            for service in site.services:
                self.mgmt.delete(f"/users/{q(site.broker_user(service))}")
        self.mgmt.delete(f"/vhosts/{q(self.registry.agencies_vhost)}")
        self.mgmt.delete(f"/vhosts/{q(self.registry.transfers_vhost)}")
        for user in (GATEWAY_USER, SHOVEL_USER, *AGENCIES):
            self.mgmt.delete(f"/users/{q(self.registry.prefix + user)}")
