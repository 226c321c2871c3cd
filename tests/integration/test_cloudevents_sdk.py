"""What the platform puts on the wire, read with the official CloudEvents SDK (``cloudevents`` on PyPI).

An integrator who does not copy the reference consumer reads messages with
the SDK of their language: it recognises a structured-mode event by its
content type (``application/cloudevents+json``, CloudEvents' AMQP binding)
and nothing else. One throwaway platform (a Mission, the agencies' vhost, the
shovel); messages are taken off the broker the way a consumer takes them.
"""

import json
from datetime import date, timedelta

import jsonschema
import pika
import pytest
import sqlalchemy as sa
from cloudevents.http import from_http, from_json
from cloudevents.sdk.converters.structured import JSONHTTPCloudEventConverter

from contracts.agency import catalogue
from contracts.envelope import EXCHANGES
from kit.actor import Actor
from runtime.demo import DemoFactory
from tests.harness import ROOT, module_platform, wait_until

pytestmark = pytest.mark.integration

SCHEMAS = ROOT / "contracts" / "schemas"
COUNSELLOR = Actor("anne.counsellor", "mirec", ("counsellor",))
CHARLEROI = "52011"
TODAY = date.today()
INTERNAL_REGISTERED = "be.mire.beneficiary.registered.v1"


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(tmp_path_factory, "cloudevents", {"mirec": ["beneficiary"]}, intermire=False)


def register_for_le_forem(platform, seed: int, reference: str) -> str:
    """A Walloon person whom Le Forem may be told about (the decree's legal basis)."""
    data = DemoFactory(seed=seed).beneficiary()
    data.update(municipality=CHARLEROI, registered_on=(TODAY - timedelta(days=30)).isoformat())
    data["disclosures"] = [
        {
            "given_on": data["registered_on"],
            "reference": "décret MIRE art. 5",
            "agency": "forem",
            "basis": "legal_basis",
            "agency_reference": reference,
        }
    ]
    return platform.rpc("mirec", "beneficiary", "register", data, actor=COUNSELLOR)["id"]


def take(platform, vhost: str, queue: str, user: str, password: str, want: int) -> list[tuple[str, bytes]]:
    """(content type, body) of ``want`` messages, taken off the queue over AMQP as ``user``."""
    broker = platform.registry.broker
    params = pika.ConnectionParameters(broker["host"], broker["port"], vhost, pika.PlainCredentials(user, password))
    got: list[tuple[str, bytes]] = []
    conn = pika.BlockingConnection(params)
    try:
        channel = conn.channel()

        def more() -> bool:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is not None:
                got.append((properties.content_type, body))
            return len(got) >= want

        wait_until(more, timeout=30, what=f"{want} messages on {queue}")
    finally:
        conn.close()
    return got


def test_le_forem_reads_each_agency_event_with_the_cloudevents_sdk(platform):
    vhost, user = platform.registry.agencies_vhost, platform.registry.prefix + "forem"
    for seed, reference in ((71, "FOR-CE-1"), (72, "FOR-CE-2")):
        register_for_le_forem(platform, seed, reference)
    messages = take(platform, vhost, "forem.events", user, platform.registry.password_for(user), want=2)
    subjects = set()
    for content_type, body in messages:
        # Structured mode, named as the SDK names it when it writes one (the Python SDK reads any JSON without
        # ce- headers as structured; SDKs that dispatch on the content type need exactly this).
        assert content_type == JSONHTTPCloudEventConverter.MIME_TYPE == "application/cloudevents+json"
        event = from_http({"content-type": content_type}, body)
        sent = json.loads(body)
        assert (event["id"], event["type"], event["source"]) == (sent["id"], sent["type"], sent["source"])
        assert event["type"] == catalogue.REGISTERED
        assert event["source"] == "/missions/mirec/beneficiary"
        assert event["specversion"] == "1.0"
        assert event.data == sent["data"] and event.data["agency_reference"] == event["subject"]
        assert event.data["registered_on"] == (TODAY - timedelta(days=30)).isoformat()
        subjects.add(event["subject"])
        # What the SDK hands over is the contract's event: it validates against Le Forem's schema for its type.
        schema = json.loads((SCHEMAS / "forem" / f"{event['type']}.json").read_text())
        rebuilt = {**{k: v for k, v in event.get_attributes().items()}, "data": event.data}
        jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(rebuilt)
    assert subjects == {"FOR-CE-1", "FOR-CE-2"}


def test_a_packed_run_of_events_is_a_cloudevents_json_batch_the_sdk_reads_event_by_event(platform):
    """Agency events always go one per message; the relay packs runs of same-type internal (and sector) events.

    The relay is made to send the Mission's registrations again, as after a crash between the broker's confirm
    and marking the rows sent: pending again and consecutive, they leave packed in one message.
    """
    site = platform.registry.site("mirec")
    admin = platform.registry.broker
    probe = "test.cloudevents.batch"
    conn = pika.BlockingConnection(
        pika.ConnectionParameters(
            admin["host"],
            admin["port"],
            site.vhost,
            pika.PlainCredentials(admin["admin_user"], admin["admin_password"]),
        )
    )
    try:
        channel = conn.channel()
        channel.queue_declare(probe, durable=False, auto_delete=False)
        channel.queue_bind(probe, EXCHANGES["internal"], INTERNAL_REGISTERED)
    finally:
        conn.close()
    for seed in (81, 82, 83):
        register_for_le_forem(platform, seed, f"FOR-CE-B{seed}")
    wait_until(
        lambda: platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0,
        timeout=30,
        what="the relay to send the registrations",
    )
    platform.get_messages(site.vhost, probe, 100)  # the first sending, one message per event: not what is looked at
    with platform.engine("mirec", "beneficiary").begin() as db:
        sent = db.execute(
            sa.text(
                "SELECT event_id, payload FROM outbox WHERE audience = 'internal' AND routing_key = :key ORDER BY seq"
            ),
            {"key": INTERNAL_REGISTERED},
        ).all()
        db.execute(
            sa.text("UPDATE outbox SET sent_at = NULL WHERE audience = 'internal' AND routing_key = :key"),
            {"key": INTERNAL_REGISTERED},
        )
    assert len(sent) >= 3
    got: list[dict] = []
    wait_until(
        lambda: bool(got.extend(platform.get_messages(site.vhost, probe, 10))) or got,
        timeout=30,
        what="the packed registrations",
    )
    assert len(got) == 1
    message = got[0]
    assert message["properties"]["content_type"] == "application/cloudevents-batch+json"
    # The SDK reads single events; a batch is a JSON array of structured events, each read by the SDK alone.
    events = [from_json(json.dumps(item)) for item in json.loads(message["payload"])]
    expected = [json.loads(payload) for _, payload in sent]
    assert [e["id"] for e in events] == [event_id for event_id, _ in sent]
    assert [(e["type"], e["source"], e.data) for e in events] == [(x["type"], x["source"], x["data"]) for x in expected]
