"""No event lost, none applied twice: the outbox, relay, inbox and dead-lettering on the real broker.

Each test drives real site processes and crashes them at a named point
(``kit.faults``), then checks the effect the consumer recorded.
"""

import json

import pytest

from contracts.envelope import make_event
from kit.consumer import MAX_ATTEMPTS
from runtime.demo import DemoFactory
from tests.harness import wait_until

pytestmark = pytest.mark.integration

ENTRIES = "SELECT count(*) FROM entry"
HANDLER = "reporting.on_beneficiary_registered"


def register_without_reply(platform, site="mirec"):
    """Register a person; the producer may die before it answers, which is the point."""
    person = DemoFactory(seed=7).beneficiary("50000")
    try:
        platform.rpc(site, "beneficiary", "register", person)
    except Exception:
        pass  # RpcTimeout: the process died before replying
    return person


def test_crash_after_commit_before_publish_still_delivers_once(platform):
    producer = platform.start("mirec", services=["beneficiary"], faults=["outbox.after_commit"])
    consumer = platform.start("mirec", services=["reporting"])
    register_without_reply(platform)
    assert producer.wait_killed() == -9
    pending = platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
    assert pending == 2, "the committed change left its internal and sector events in the outbox"
    assert platform.scalar("mirec", "reporting", ENTRIES) == 0

    platform.start("mirec", services=["beneficiary"])
    wait_until(lambda: platform.scalar("mirec", "reporting", ENTRIES) == 1, what="the entry to be counted")
    wait_until(
        lambda: platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0,
        what="the outbox to drain",
    )
    assert platform.scalar("mirec", "reporting", "SELECT count(*) FROM inbox WHERE handler = :h", h=HANDLER) == 1
    assert (
        consumer.metric("passerelle_events_consumed_total", handler="on_beneficiary_registered", outcome="applied") == 1
    )


def test_relay_killed_after_confirm_before_marking_sent_is_absorbed_by_inbox(platform):
    producer = platform.start("mirec", services=["beneficiary"], faults=["relay.after_confirm"])
    consumer = platform.start("mirec", services=["reporting"])
    register_without_reply(platform)
    assert producer.wait_killed() == -9
    # The broker confirmed both events, so the consumer already has them...
    wait_until(lambda: platform.scalar("mirec", "reporting", ENTRIES) == 1, what="first delivery")
    # ...but the outbox never heard: they are still pending and will go again.
    assert platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 2

    platform.start("mirec", services=["beneficiary"])
    wait_until(
        lambda: consumer.metric("passerelle_events_duplicate_total", handler=HANDLER) == 1,
        what="the republished duplicate to be skipped by the inbox",
    )
    assert platform.scalar("mirec", "reporting", ENTRIES) == 1
    wait_until(
        lambda: platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0,
        what="the republished rows marked sent",
    )


def test_event_published_before_its_consumer_ever_ran_is_delivered_when_it_starts(platform):
    platform.start("mirec", services=["beneficiary"])
    platform.rpc("mirec", "beneficiary", "register", DemoFactory(seed=11).beneficiary("50000"))
    intermire_queue = "reporting.on_sector_beneficiary_registered"
    vhost = platform.registry.intermire.vhost
    # The sector event crossed the shovel and waits in InterMire's queue, no consumer having ever run.
    wait_until(lambda: platform.queue_depth(vhost, intermire_queue) == 1, what="the sector event at InterMire")
    assert platform.queue(vhost, intermire_queue).get("consumers", 0) == 0

    platform.start("intermire")
    result = wait_until(
        lambda: (r := platform.rpc("intermire", "reporting", "sector_indicators"))["people"] == 1 and r,
        what="InterMire to count the person",
    )
    assert result["entries_by_mission"] == {"mirec": 1}


def test_poison_messages_are_dead_lettered_with_their_reason_without_a_hot_loop(platform):
    consumer = platform.start("mirec", services=["reporting"])
    vhost = platform.registry.site("mirec").vhost
    dead = f"{HANDLER}.dead"

    assert platform.publish(
        vhost, "passerelle.events", "be.mire.beneficiary.registered.v1", "{not json", message_id="undecodable-1"
    )
    missing_data = make_event(
        source="/missions/mirec/beneficiary", type="be.mire.beneficiary.registered.v1", data={"unexpected": True}
    )
    assert platform.publish(
        vhost,
        "passerelle.events",
        "be.mire.beneficiary.registered.v1",
        json.dumps(missing_data.to_dict()),
        message_id=missing_data.id,
    )

    wait_until(lambda: platform.queue_depth(vhost, dead) == 2, timeout=60, what="both poison messages dead-lettered")
    letters = {m["properties"].get("message_id"): m for m in platform.get_messages(vhost, dead)}
    undecodable = letters["undecodable-1"]["properties"]["headers"]
    assert undecodable["x-passerelle-reason"].startswith("undecodable")
    assert undecodable["x-passerelle-attempts"] == 1
    failing = letters[missing_data.id]["properties"]["headers"]
    # The handler loads the data through its payload class (contracts.payloads): the reason names the field.
    assert failing["x-passerelle-reason"].startswith("OutsideContract: be.mire.beneficiary.registered.v1")
    assert "missing required field `beneficiary_id`" in failing["x-passerelle-reason"]
    assert failing["x-passerelle-attempts"] == MAX_ATTEMPTS
    # Tried exactly MAX_ATTEMPTS times, not thousands: no hot loop.
    assert (
        consumer.metric("passerelle_events_consumed_total", handler="on_beneficiary_registered", outcome="failed")
        == MAX_ATTEMPTS
    )
    assert platform.queue_depth(vhost, HANDLER) == 0
    assert platform.scalar("mirec", "reporting", ENTRIES) == 0
