"""The loss ledger: what was committed, confirmed, applied and dead-lettered, read from where it is true.

Nothing here trusts a process's own counters (a ``kill -9`` wipes them). The
ledger reads:

* **committed** — every producer's ``outbox`` table: an event exists from the
  moment its transaction committed, with its routing key and audience;
* **confirmed** — the same rows' ``sent_at``: the broker confirmed them;
* **expected** — for each committed event, the consumer queues whose binding
  matches its routing key (from the services' ``@event_handler``
  declarations, as broker setup binds them): where it must take effect;
* **applied** — every consumer's ``inbox`` rows ``(event id, handler)``, and
  the effect rows each handler wrote (``fact`` rows per event id for the
  fact log), counted, so that a second effect of one event would show;
* **dead-lettered** — the messages in every ``<queue>.dead`` queue (read
  without taking them off), by message id;
* **acknowledged** — what a client was told had been written (the gateway's
  201 and 409 answers), checked against the producer's own table.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

import pika
import sqlalchemy as sa

from kit.consumer import PACKED, binding_key, handlers_of, queue_name
from kit.topology import load_service_class

AUDIENCE_SOURCE = {"internal": "internal", "sector": "sector"}  # agency events leave the platform: not consumed here

# Effect tables whose rows name the event that made them: a duplicate effect is a second row for one event.
EFFECTS = {"reporting.on_beneficiary_fact": ("reporting", "SELECT event_id, count(*) FROM fact GROUP BY event_id")}


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching (``*`` one word, ``#`` zero or more)."""
    regex = "^" + re.escape(pattern).replace(r"\*", r"[^.]+").replace(r"\#", r".*") + "$"
    return re.match(regex, key) is not None


@dataclass
class Consumer:
    site: str
    service: str
    handler: str  # queue name, also the inbox's handler name
    source: str
    pattern: str


@dataclass
class Ledger:
    committed: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id -> (site, audience, routing key)
    confirmed: set[str] = field(default_factory=set)
    expected: set[tuple[str, str]] = field(default_factory=set)  # (event id, handler)
    applied: Counter = field(default_factory=Counter)  # (event id, handler) -> inbox rows
    effects: Counter = field(default_factory=Counter)  # (event id, handler) -> effect rows
    dead: Counter = field(default_factory=Counter)  # (message id, handler) -> dead letters
    acknowledged: dict[str, str] = field(default_factory=dict)  # client key -> id the client was given
    stored: set[str] = field(default_factory=set)  # ids the producer's own table holds

    @property
    def pending(self) -> int:
        return len(self.committed) - len(self.confirmed)


class LedgerReader:
    """Reads a ``tests.harness.TestPlatform`` into a ``Ledger``."""

    def __init__(self, platform, running: dict[str, set[str]], producers=(("mirec", "beneficiary"),)):
        """``running``: site code -> the services that run there; only their handlers are expected to apply."""
        self.platform = platform
        self.producers = list(producers)
        self.consumers: list[Consumer] = []
        for site in platform.registry.sites:
            for service, path in site.services.items():
                if service not in running.get(site.code, ()):
                    continue
                for method, event_type, source in handlers_of(load_service_class(path)):
                    self.consumers.append(
                        Consumer(
                            site.code, service, queue_name(service, method), source, binding_key(source, event_type)
                        )
                    )
        self._expected_cache: dict[tuple[str, str], list[Consumer]] = {}

    def consumers_of(self, site: str, audience: str, routing_key: str) -> list[Consumer]:
        key = (site, audience, routing_key)
        if key not in self._expected_cache:
            source = AUDIENCE_SOURCE.get(audience)
            reg = self.platform.registry
            # Internal events stay in their Mission; sector events are shovelled to InterMire.
            target = site if audience == "internal" else (reg.intermire.code if reg.intermire else None)
            self._expected_cache[key] = [
                c
                for c in self.consumers
                if source and c.source == source and c.site == target and topic_matches(c.pattern, routing_key)
            ]
        return self._expected_cache[key]

    def read(self, acknowledged: dict[str, str] | None = None, beneficiary_site: str = "mirec") -> Ledger:
        ledger = Ledger()
        for site, service in self.producers:
            for event_id, audience, key, sent in self._rows(
                site, service, "SELECT event_id, audience, routing_key, sent_at IS NOT NULL FROM outbox"
            ):
                ledger.committed[event_id] = (site, audience, key)
                if sent:
                    ledger.confirmed.add(event_id)
                for consumer in self.consumers_of(site, audience, key):
                    ledger.expected.add((event_id, consumer.handler))
        handlers_by_site: dict[tuple[str, str], set[str]] = {}
        for c in self.consumers:
            handlers_by_site.setdefault((c.site, c.service), set()).add(c.handler)
        for (site, service), handlers in handlers_by_site.items():
            for event_id, handler, n in self._rows(
                site, service, "SELECT event_id, handler, count(*) FROM inbox GROUP BY event_id, handler"
            ):
                ledger.applied[(event_id, handler)] += n
            for handler in handlers:
                if handler in EFFECTS and EFFECTS[handler][0] == service:
                    for event_id, n in self._rows(site, service, EFFECTS[handler][1]):
                        ledger.effects[(event_id, handler)] += n
            ledger.dead.update(self._dead_letters(site, handlers))
        if acknowledged is not None:
            ledger.acknowledged = dict(acknowledged)
            ledger.stored = {
                row[0] for row in self._rows(beneficiary_site, "beneficiary", "SELECT id FROM beneficiary")
            }
        return ledger

    def _rows(self, site: str, service: str, sql: str) -> list[tuple]:
        engine = self.platform.engine(site, service)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(sa.text(sql)).all()]
        finally:
            engine.dispose()

    def _dead_letters(self, site: str, handlers) -> Counter:
        """Message ids in each handler's dead-letter queue, read and put back (the queue keeps them)."""
        found = Counter()
        broker = self.platform.registry.broker
        vhost = self.platform.registry.site(site).vhost
        params = pika.ConnectionParameters(
            broker["host"], broker["port"], vhost, pika.PlainCredentials(broker["admin_user"], broker["admin_password"])
        )
        conn = pika.BlockingConnection(params)
        try:
            channel = conn.channel()
            for handler in sorted(handlers):
                dead = f"{handler}.dead"
                depth = channel.queue_declare(dead, passive=True).method.message_count
                tags = []
                for _ in range(depth):
                    method, props, body = channel.basic_get(dead, auto_ack=False)
                    if method is None:
                        break
                    tags.append(method.delivery_tag)
                    if props.content_type == PACKED:
                        # A packed message the broker dead-lettered whole (its delivery limit): each event counts.
                        for event in json.loads(body):
                            found[(event.get("id", ""), handler)] += 1
                    else:
                        found[(props.message_id or "", handler)] += 1
                if tags:
                    channel.basic_nack(tags[-1], multiple=True, requeue=True)
        finally:
            conn.close()
        return found
