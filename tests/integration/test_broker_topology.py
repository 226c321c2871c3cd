"""The broker topology: durable quorum queues, least-privilege users, and what may leave a Mission."""

import json
from urllib.parse import quote

import pika
import pytest
from pika.exceptions import ChannelClosedByBroker, ProbableAccessDeniedError

from contracts.envelope import make_event
from kit.consumer import MAX_ATTEMPTS
from tests.harness import TestPlatform, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    """MIREC, MIRENA and InterMire, declared once for the module: each test reads the topology, or publishes to a
    queue no other test reads (Le Forem's events, InterMire's sector queue)."""
    p = TestPlatform(tmp_path_factory.mktemp("topology")).setup()
    try:
        yield p
    finally:
        p.teardown()


def connect(platform, vhost: str, user: str) -> pika.BlockingConnection:
    broker = platform.registry.broker
    credentials = pika.PlainCredentials(user, platform.registry.password_for(user))
    return pika.BlockingConnection(
        pika.ConnectionParameters(broker["host"], broker["port"], vhost, credentials, connection_attempts=1)
    )


def refused_to_consume(platform, vhost, user, queue) -> bool:
    conn = connect(platform, vhost, user)
    try:
        channel = conn.channel()
        channel.basic_consume(queue, lambda *a: None)
        return False
    except ChannelClosedByBroker as exc:
        return exc.reply_code == 403
    finally:
        if conn.is_open:
            conn.close()


def test_consumer_queues_are_quorum_with_delivery_limit_and_dead_letter_queue(platform):
    vhost = platform.registry.site("mirec").vhost
    queue = platform.queue(vhost, "reporting.on_beneficiary_registered")
    assert queue["type"] == "quorum" and queue["durable"]
    assert queue["arguments"]["x-delivery-limit"] == MAX_ATTEMPTS
    assert queue["arguments"]["x-dead-letter-exchange"] == "passerelle.dlx"
    assert platform.queue(vhost, "reporting.on_beneficiary_registered.dead")["type"] == "quorum"
    intermire = platform.queue(platform.registry.intermire.vhost, "reporting.on_sector_beneficiary_registered")
    assert intermire["type"] == "quorum"


def test_intermire_binds_the_conventions_sector_facts_to_the_employer_side_queue(platform):
    """A handler of two types is one queue with two bindings, not a queue per type."""
    vhost = quote(platform.registry.intermire.vhost, safe="")
    queue = "reporting.on_sector_employer_fact"
    bound = platform.mgmt.get(f"/queues/{vhost}/{quote(queue, safe='')}/bindings")
    assert sorted(b["routing_key"] for b in bound if b["source"] == "passerelle.sector") == [
        "be.mire.convention.*.v1",
        "be.mire.employer.*.v1",
    ]
    names = {q["name"] for q in platform.mgmt.get(f"/queues/{vhost}")}
    assert queue + ".dead" in names and not [n for n in names if "convention" in n]


def test_a_service_user_reads_only_its_own_queues_in_its_own_mission(platform):
    mirec, mirena = platform.registry.site("mirec"), platform.registry.site("mirena")
    employer = mirec.broker_user("employer")
    assert refused_to_consume(platform, mirec.vhost, employer, "reporting.on_beneficiary_registered")
    assert not refused_to_consume(
        platform, mirec.vhost, mirec.broker_user("reporting"), "reporting.on_beneficiary_registered"
    )
    with pytest.raises(ProbableAccessDeniedError):
        connect(platform, mirena.vhost, employer)


def test_gateway_user_cannot_consume_a_service_queue(platform):
    platform.start("mirec", services=["beneficiary"])  # declares rpc-beneficiary
    gateway = platform.registry.prefix + "gateway"
    assert refused_to_consume(platform, platform.registry.site("mirec").vhost, gateway, "rpc-beneficiary")


def test_agency_events_reach_only_their_agency_and_agencies_cannot_publish(platform):
    mission_vhost = platform.registry.site("mirec").vhost
    agencies = platform.registry.agencies_vhost
    event = make_event(
        source="/missions/mirec/convention",
        type="be.mire.convention.signed.v1",
        audience="agency",
        data={"convention_id": "c-1"},
    )
    assert platform.publish(mission_vhost, "passerelle.agency", f"forem.{event.type}", json.dumps(event.to_dict()))
    wait_until(lambda: platform.queue_depth(agencies, "forem.events") == 1, what="the event at Le Forem's queue")
    assert platform.queue_depth(agencies, "actiris.events") == 0

    forem, actiris = platform.registry.prefix + "forem", platform.registry.prefix + "actiris"
    assert refused_to_consume(platform, agencies, forem, "actiris.events")
    assert not refused_to_consume(platform, agencies, actiris, "actiris.events")
    conn = connect(platform, agencies, forem)
    try:
        channel = conn.channel()
        channel.confirm_delivery()
        with pytest.raises(ChannelClosedByBroker) as refused:
            channel.basic_publish("passerelle.agency", "actiris.x", b"{}")
        assert refused.value.reply_code == 403
    finally:
        if conn.is_open:
            conn.close()
    with pytest.raises(ProbableAccessDeniedError):
        connect(platform, mission_vhost, forem)


def test_internal_events_never_leave_the_mission(platform):
    mission_vhost = platform.registry.site("mirec").vhost
    intermire_queue = "reporting.on_sector_beneficiary_registered"
    internal = make_event(
        source="/missions/mirec/beneficiary", type="be.mire.beneficiary.registered.v1", data={"beneficiary_id": "b-1"}
    )
    sector = make_event(
        source="/missions/mirec/beneficiary",
        type="be.mire.beneficiary.registered.v1",
        audience="sector",
        data={"pseudonym": "p"},
    )
    assert platform.publish(mission_vhost, "passerelle.events", internal.type, json.dumps(internal.to_dict()))
    assert platform.publish(mission_vhost, "passerelle.sector", sector.type, json.dumps(sector.to_dict()))
    vhost = platform.registry.intermire.vhost
    # The shovel keeps order: once the later sector event is there, the internal
    # one would be too had it crossed.
    wait_until(lambda: platform.queue_depth(vhost, intermire_queue) >= 1, what="the sector event at InterMire")
    messages = platform.get_messages(vhost, intermire_queue)
    assert [json.loads(m["payload"])["id"] for m in messages] == [sector.id]
