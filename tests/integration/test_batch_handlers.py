"""Batch event handlers on the real broker: many events per call, each applied once, poison isolated.

A probe service runs in this process (nameko container, real RabbitMQ, the
platform's database for its site) with one ``@event_handler(..., batch=N)``;
its queue and dead-letter queue are declared the way broker setup declares a
service's. The events wait in the queue before the consumer starts, so the
prefetch window fills and batches form.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from kombu import Connection
from nameko.containers import ServiceContainer

from contracts.envelope import make_event
from kit.consumer import PACKED, event_handler
from kit.db import DATABASES_KEY, Database
from kit.topology import Topology
from tests.harness import TestPlatform, wait_until

pytestmark = pytest.mark.integration

TYPE = "be.mire.beneficiary.probed.v1"
QUEUE = "probe.on_probed"
BATCH = 50
CALLS: list[list[str]] = []  # the event ids of every call, in order

effects = sa.Table(
    "probe_effect",
    sa.MetaData(),
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)


class ProbeService:
    name = "probe"
    db = Database()

    @event_handler(TYPE, batch=BATCH)
    def on_probed(self, events):
        CALLS.append([e.id for e in events])
        with self.db.once_each(events) as (session, fresh):
            if any(e.data.get("poison") for e in fresh):
                raise ValueError("this event's data cannot be applied")
            if fresh:
                session.execute(sa.insert(effects), [{"event_id": e.id, "n": e.data["n"]} for e in fresh])


class SingleProbeService:
    """The same effect through a handler of one event per call."""

    name = "single_probe"
    db = Database()

    @event_handler(TYPE)
    def on_probed(self, event):
        CALLS.append([event.id])
        if event.data.get("poison"):
            raise ValueError("this event's data cannot be applied")
        with self.db.once(event) as session:
            if session is not None:
                session.execute(sa.insert(effects), [{"event_id": event.id, "n": event.data["n"]}])


@pytest.fixture
def probe(tmp_path):
    yield from _probe(tmp_path, ProbeService, QUEUE)


@pytest.fixture
def single_probe(tmp_path):
    yield from _probe(tmp_path, SingleProbeService, "single_probe.on_probed")


def _probe(tmp_path, service_cls, queue):
    platform = TestPlatform(tmp_path, missions=("mirec",), intermire=False).setup()
    site = platform.registry.site("mirec")
    url = site.database_url("reporting")  # a migrated database with the kit's inbox; the probe adds its table
    engine = platform.engine("mirec", "reporting")
    effects.create(engine)
    Topology(platform.registry, platform.mgmt).dead_lettered_queue(site.vhost, queue, TYPE, "passerelle.events")
    uri = platform.registry.admin_amqp_uri(site.vhost)
    CALLS.clear()
    container = ServiceContainer(
        service_cls, {"AMQP_URI": uri, DATABASES_KEY: {service_cls.name: url}, "serializer": "json", "max_workers": 10}
    )
    probe = type("Probe", (), {})()
    probe.platform, probe.site, probe.uri, probe.engine, probe.container = platform, site, uri, engine, container
    probe.queue = queue

    def applied():
        with engine.connect() as conn:
            return dict(conn.execute(sa.select(effects.c.event_id, effects.c.n)).all())

    def inbox_rows():
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM inbox WHERE handler = :h"), {"h": queue}).scalar()

    probe.applied, probe.inbox_rows = applied, inbox_rows
    try:
        yield probe
    finally:
        container.stop()
        effects.drop(engine, checkfirst=True)
        engine.dispose()
        platform.teardown()


def publish(uri: str, events) -> None:
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        for event in events:
            producer.publish(
                json.dumps(event.to_dict()),
                exchange="passerelle.events",
                routing_key=event.type,
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=event.id,
            )


def publish_packed(uri: str, packs) -> None:
    """Messages as the relay packs them: each a JSON array of envelopes (given as JSON text)."""
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        for items in packs:
            producer.publish(
                "[" + ",".join(items) + "]",
                exchange="passerelle.events",
                routing_key=TYPE,
                content_type=PACKED,
                content_encoding="utf-8",
                delivery_mode=2,
            )


def event(n: int, **extra):
    return make_event(source="/missions/mirec/beneficiary", type=TYPE, data={"n": n, **extra})


def settled(probe) -> bool:
    queue = probe.platform.queue(probe.site.vhost, probe.queue)
    return (
        probe.platform.queue_depth(probe.site.vhost, probe.queue) == 0 and queue.get("messages_unacknowledged", 1) == 0
    )


def test_waiting_events_are_applied_in_batches_each_once(probe):
    events = [event(n) for n in range(300)]
    duplicates = events[10:30]  # published twice, as a relay crash between confirm and marking sent would
    publish(probe.uri, events + duplicates)
    probe.container.start()
    wait_until(lambda: len(probe.applied()) == 300, timeout=60, what="every event applied")
    wait_until(lambda: settled(probe), timeout=30, what="every message acknowledged")
    assert probe.applied() == {e.id: n for n, e in enumerate(events)}
    assert probe.inbox_rows() == 300
    assert max(len(call) for call in CALLS) > 1, "the handler was never given more than one event"
    assert max(len(call) for call in CALLS) <= BATCH, [len(c) for c in CALLS]
    assert sum(len(call) for call in CALLS) == 320  # every delivery reached the handler; the inbox kept one of each
    assert probe.platform.queue_depth(probe.site.vhost, f"{QUEUE}.dead") == 0


def test_a_poison_event_is_dead_lettered_alone_and_its_batch_applied(probe):
    events = [event(n) for n in range(120)]
    poison = event(-1, poison=True)
    events.insert(37, poison)
    publish(probe.uri, events)
    probe.container.start()
    wait_until(
        lambda: probe.platform.queue_depth(probe.site.vhost, f"{QUEUE}.dead") == 1,
        timeout=90,
        what="the poison event dead-lettered",
    )
    wait_until(lambda: len(probe.applied()) == 120, timeout=60, what="the other events applied")
    wait_until(lambda: settled(probe), timeout=30, what="every message settled")
    assert poison.id not in probe.applied()
    assert probe.inbox_rows() == 120  # the failed attempts left no inbox row behind
    [dead] = probe.platform.get_messages(probe.site.vhost, f"{QUEUE}.dead")
    headers = dead["properties"]["headers"]
    assert json.loads(dead["payload"])["id"] == poison.id
    assert headers["x-passerelle-handler"] == QUEUE
    assert headers["x-passerelle-attempts"] == 5
    assert headers["x-passerelle-reason"].startswith("ValueError")
    # A failed batch costs its events no attempt: the poison's five attempts were each made alone.
    calls_with_poison = [call for call in CALLS if poison.id in call]
    assert sum(len(call) == 1 for call in calls_with_poison) == 5
    assert any(len(call) > 1 for call in calls_with_poison)


@pytest.mark.parametrize("kind", ["probe", "single_probe"])
def test_packed_messages_apply_each_event_once_and_dead_letter_bad_ones_alone(request, kind):
    probe = request.getfixturevalue(kind)
    events = [event(n) for n in range(120)]
    poison = event(-1, poison=True)
    packs = [[json.dumps(e.to_dict()) for e in events[k : k + 30]] for k in range(0, 120, 30)]
    packs[1].insert(5, json.dumps(poison.to_dict()))
    packs[2].insert(0, json.dumps({"specversion": "1.0", "not": "an event"}))
    packs.append([json.dumps(e.to_dict()) for e in events[40:50]])  # a republished run: the inbox absorbs it
    publish_packed(probe.uri, packs)
    probe.container.start()
    dead_queue = f"{probe.queue}.dead"
    wait_until(
        lambda: probe.platform.queue_depth(probe.site.vhost, dead_queue) == 2,
        timeout=90,
        what="the poison event and the invalid envelope dead-lettered",
    )
    wait_until(lambda: len(probe.applied()) == 120, timeout=60, what="the other events applied")
    wait_until(lambda: settled(probe), timeout=30, what="every message settled")
    assert probe.applied() == {e.id: n for n, e in enumerate(events)}
    assert probe.inbox_rows() == 120
    dead = {
        m["properties"]["headers"]["x-passerelle-reason"].split(":")[0]: m
        for m in probe.platform.get_messages(probe.site.vhost, dead_queue)
    }
    assert set(dead) == {"ValueError", "InvalidEnvelope"}
    # Each went alone, as a message of its own, not with its pack.
    assert json.loads(dead["ValueError"]["payload"])["id"] == poison.id
    assert dead["ValueError"]["properties"]["message_id"] == poison.id
    assert dead["ValueError"]["properties"]["headers"]["x-passerelle-attempts"] == 5
    assert json.loads(dead["InvalidEnvelope"]["payload"]) == {"specversion": "1.0", "not": "an event"}
