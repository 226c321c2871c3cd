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
from kit.db import DATABASES_KEY, Database
from kit.events import event_handler
from kit.topology import Topology
from tests.harness import TestPlatform, wait_until

pytestmark = pytest.mark.integration

TYPE = "be.mire.beneficiary.probed.v1"
QUEUE = "probe.on_probed"
BATCH = 50
CALLS: list[list[str]] = []  # the event ids of every call, in order

effects = sa.Table("probe_effect", sa.MetaData(), sa.Column("event_id", sa.String(64), primary_key=True),
                   sa.Column("n", sa.Integer, nullable=False))


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


@pytest.fixture
def probe(tmp_path):
    platform = TestPlatform(tmp_path, missions=("mirec",), intermire=False).setup()
    site = platform.registry.site("mirec")
    url = site.database_url("reporting")  # a migrated database with the kit's inbox; the probe adds its table
    engine = platform.engine("mirec", "reporting")
    effects.create(engine)
    Topology(platform.registry, platform.mgmt).dead_lettered_queue(site.vhost, QUEUE, TYPE, "passerelle.events")
    uri = platform.registry.admin_amqp_uri(site.vhost)
    CALLS.clear()
    container = ServiceContainer(ProbeService, {"AMQP_URI": uri, DATABASES_KEY: {"probe": url},
                                                "serializer": "json", "max_workers": 10})
    probe = type("Probe", (), {})()
    probe.platform, probe.site, probe.uri, probe.engine, probe.container = platform, site, uri, engine, container

    def applied():
        with engine.connect() as conn:
            return dict(conn.execute(sa.select(effects.c.event_id, effects.c.n)).all())

    def inbox_rows():
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM inbox WHERE handler = :h"), {"h": QUEUE}).scalar()

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
            producer.publish(json.dumps(event.to_dict()), exchange="passerelle.events", routing_key=event.type,
                             content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                             message_id=event.id)


def event(n: int, **extra):
    return make_event(source="/missions/mirec/beneficiary", type=TYPE, data={"n": n, **extra})


def settled(probe) -> bool:
    queue = probe.platform.queue(probe.site.vhost, QUEUE)
    return probe.platform.queue_depth(probe.site.vhost, QUEUE) == 0 and queue.get("messages_unacknowledged", 1) == 0


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
    wait_until(lambda: probe.platform.queue_depth(probe.site.vhost, f"{QUEUE}.dead") == 1, timeout=90,
               what="the poison event dead-lettered")
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
