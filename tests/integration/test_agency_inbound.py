"""Agencies talk back, on the real broker: Le Forem publishes to its own exchange on /agencies, the broker carries
the event into the Mission its routing key names, and the Mission records it once on the person's file, or refuses
it and tells Le Forem why on its feedback queue.

One platform for the module: MIREC and MIRENA (the second to show that a Mission sees nothing meant for another),
each with its beneficiary service, and the agencies' vhost. The person is addressed the way the Mission addressed
them to Le Forem: the subject of the outbound event Le Forem received about them.
"""

import json
import uuid
from datetime import date, timedelta

import pika
import pytest
from pika.exceptions import ChannelClosedByBroker

from contracts.agency import inbound
from contracts.envelope import STRUCTURED
from contracts.samples import inbound_sample
from runtime.demo import DemoFactory
from tests.harness import bearer, module_platform, wait_until

pytestmark = pytest.mark.integration

CHARLEROI = "52011"
TODAY = date.today()
ANNE = bearer("mirec", "counsellor", "anne.counsellor")
NINA = bearer("mirena", "counsellor", "nina.counsellor")
# One person followed by both Missions: Le Forem knows them by one file number, which each Mission holds.
FOREM_REF = "F-2026-" + uuid.uuid4().hex[:6]
HANDLER = "beneficiary.on_agency_event"


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(
        tmp_path_factory, "inbound", {"mirec": ["beneficiary"], "mirena": ["beneficiary"]}, intermire=False
    )


def intake(seed: int) -> dict:
    body = DemoFactory(seed=seed).beneficiary(registered_on=TODAY - timedelta(days=30))
    return body | {
        "municipality": CHARLEROI,
        "disclosures": [
            {
                "agency": "forem",
                "basis": "legal_basis",
                "reference": "décret MIRE art. 5",
                "agency_reference": FOREM_REF,
                "given_on": (TODAY - timedelta(days=30)).isoformat(),
            }
        ],
    }


@pytest.fixture(scope="module")
def people(client):
    """The person at MIREC and at MIRENA (their ids there)."""
    mirec = client.post("/missions/mirec/beneficiaries", json=intake(4101), headers=ANNE)
    mirena = client.post("/missions/mirena/beneficiaries", json=intake(4101), headers=NINA)
    assert mirec.status_code == mirena.status_code == 201, (mirec.json, mirena.json)
    return {"mirec": mirec.json["id"], "mirena": mirena.json["id"]}


@pytest.fixture(scope="module")
def reference(platform, people):
    """How Le Forem knows the MIREC person: the subject of MIREC's registration event on Le Forem's queue."""
    agencies, found = platform.registry.agencies_vhost, []

    def registered():
        found.extend(json.loads(m["payload"]) for m in platform.get_messages(agencies, "forem.events", 50))
        return [e for e in found if e["type"] == "be.mire.beneficiary.registered.v1" and "mirec" in e["source"]]

    [event, *_] = wait_until(registered, timeout=30, what="MIREC's registration at Le Forem's queue")
    return event["subject"]


def connect(platform, user: str) -> pika.BlockingConnection:
    broker = platform.registry.broker
    name = platform.registry.prefix + user
    return pika.BlockingConnection(
        pika.ConnectionParameters(
            broker["host"],
            broker["port"],
            platform.registry.agencies_vhost,
            pika.PlainCredentials(name, platform.registry.password_for(name)),
            connection_attempts=1,
        )
    )


def event(event_type: str, reference: str, **changes) -> dict:
    """A fresh event of ``event_type`` from Le Forem about ``reference`` at MIREC (the sample, re-addressed)."""
    body = inbound_sample("forem", event_type)
    body.update(id=str(uuid.uuid4()), subject=reference)
    body["data"].update(agency_reference=reference)
    for key, value in changes.items():
        if key == "data":
            body["data"].update(value)
        else:
            body[key] = value
    return body


def publish(platform, body: dict, mission: str = "mirec", user: str = "forem", exchange: str = "forem.inbound"):
    """Publish as the agency's own broker user, with publisher confirms, as an integrator would."""
    conn = connect(platform, user)
    try:
        channel = conn.channel()
        channel.confirm_delivery()
        channel.basic_publish(
            exchange,
            f"{mission}.{body['type']}",
            json.dumps(body).encode(),
            pika.BasicProperties(content_type=STRUCTURED, delivery_mode=2, message_id=body["id"]),
            mandatory=True,
        )
    finally:
        if conn.is_open:
            conn.close()


def facts(client, mission: str, person: str, headers) -> list[dict]:
    reply = client.get(f"/missions/{mission}/beneficiaries/{person}/agency-facts", headers=headers)
    assert reply.status_code == 200, reply.json
    return reply.json


def settled(platform, mission: str) -> bool:
    """Nothing left on the way into ``mission``: its handler's queue and Le Forem's queue for it both empty."""
    vhost = platform.registry.site(mission).vhost
    return (
        platform.queue_depth(platform.registry.agencies_vhost, f"forem.inbound.{mission}") == 0
        and platform.queue(vhost, HANDLER).get("messages", 1) == 0
    )


def feedback(platform, count: int) -> list[dict]:
    """Le Forem reads its feedback queue as itself: ``count`` refusals."""
    got: list[dict] = []

    def read():
        conn = connect(platform, "forem")
        try:
            channel = conn.channel()
            while True:
                method, _, body = channel.basic_get("forem.feedback", auto_ack=True)
                if method is None:
                    break
                got.append(json.loads(body))
        finally:
            conn.close()
        return len(got) >= count

    wait_until(read, timeout=30, what=f"{count} refusals on Le Forem's feedback queue")
    return got


def refused_to(platform, user: str, act) -> int:
    conn = connect(platform, user)
    try:
        channel = conn.channel()
        channel.confirm_delivery()  # a refused publish is told on the next confirm
        with pytest.raises(ChannelClosedByBroker) as refused:
            act(channel)
        return refused.value.reply_code
    finally:
        if conn.is_open:
            conn.close()


def test_le_forems_event_is_on_the_persons_file_once_even_published_twice(platform, client, people, reference):
    started = event(inbound.EMPLOYMENT_STARTED, reference)
    publish(platform, started)
    publish(platform, started)  # a republished copy (the integrator's retry): the same id
    # A later event as a marker: once it is on the file and nothing is left on the way, both copies were handled.
    marker = event(inbound.JOBSEEKER_STATUS, reference)
    publish(platform, marker)
    wait_until(
        lambda: {f["event_id"] for f in facts(client, "mirec", people["mirec"], ANNE)} >= {started["id"], marker["id"]},
        timeout=30,
        what="both events on the file",
    )
    wait_until(lambda: settled(platform, "mirec"), timeout=30, what="every copy handled")
    on_file = facts(client, "mirec", people["mirec"], ANNE)
    assert [f["event_id"] for f in on_file].count(started["id"]) == 1
    [fact] = [f for f in on_file if f["event_id"] == started["id"]]
    assert (fact["agency"], fact["type"], fact["occurred_on"]) == ("forem", inbound.EMPLOYMENT_STARTED, "2026-04-01")
    assert fact["facts"] == {"started_on": "2026-04-01", "contract_type": "fixed_term", "hours_per_week": 38}
    # Applied, not refused: nothing dead-lettered, nothing told back.
    assert platform.queue_depth(platform.registry.site("mirec").vhost, HANDLER + ".dead") == 0
    # The file's reader is audited; a role outside the counsellor team reads nothing.
    assert (
        platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM audit WHERE action = 'beneficiary.agency_facts'")
        >= 1
    )
    employer_side = bearer("mirec", "employer_relations")
    assert (
        client.get(f"/missions/mirec/beneficiaries/{people['mirec']}/agency-facts", headers=employer_side).status_code
        == 403
    )


def test_le_forem_publishes_to_its_own_exchange_only_and_reads_only_its_own_queues(platform):
    body = json.dumps(event(inbound.JOBSEEKER_STATUS, "F-0")).encode()
    assert refused_to(platform, "forem", lambda ch: ch.basic_publish("actiris.inbound", "mirec.x", body)) == 403
    assert refused_to(platform, "forem", lambda ch: ch.basic_publish("passerelle.agency", "actiris.x", body)) == 403
    assert refused_to(platform, "forem", lambda ch: ch.basic_publish("passerelle.feedback", "forem.x", body)) == 403
    assert refused_to(platform, "forem", lambda ch: ch.basic_consume("actiris.feedback", lambda *a: None)) == 403
    # Nor its own way in: what it sent is the Missions' once it is on the broker.
    assert refused_to(platform, "forem", lambda ch: ch.basic_consume("forem.inbound.mirec", lambda *a: None)) == 403
    assert refused_to(platform, "forem", lambda ch: ch.exchange_declare("forem.mine", "topic")) == 403
    conn = connect(platform, "actiris")
    try:
        conn.channel().basic_consume("actiris.feedback", lambda *a: None)  # its own: allowed
    finally:
        conn.close()


def test_refused_events_reach_le_forems_feedback_queue_with_why_and_are_never_applied(
    platform, client, people, reference
):
    before = len(facts(client, "mirec", people["mirec"], ANNE))
    stranger = event(inbound.TRAINING_ENTERED, "F-1999-000001")
    unknown = event(inbound.TRAINING_ENTERED, reference, type="be.mire.agency.training_entered.v7")
    unknown["dataschema"] = "urn:passerelle:schema:inbound:be.mire.agency.training_entered.v7"
    violation = event(inbound.TRAINING_EXITED, reference, data={"exit": "graduated"})
    for body in (stranger, unknown, violation):
        publish(platform, body)
    got = {e["data"]["event_id"]: e for e in feedback(platform, 3)}
    assert set(got) == {stranger["id"], unknown["id"], violation["id"]}
    for body, code, words in (
        (stranger, "unknown_person", "F-1999-000001"),
        (unknown, "unknown_type", "training_entered.v7"),
        (violation, "schema_violation", "exit"),
    ):
        told = got[body["id"]]
        assert told["type"] == inbound.EVENT_REFUSED and told["source"] == "/missions/mirec/beneficiary"
        assert (told["data"]["event_type"], told["data"]["code"]) == (body["type"], code)
        assert words in told["data"]["reason"] and told["subject"] == body["id"]
    # Dead-lettered at MIREC with the same reason; never on the file.
    vhost = platform.registry.site("mirec").vhost
    dead = []
    wait_until(
        lambda: dead.extend(platform.get_messages(vhost, HANDLER + ".dead", 10)) or len(dead) >= 3,
        timeout=30,
        what="three dead letters",
    )
    reasons = {json.loads(m["payload"])["id"]: m["properties"]["headers"]["x-passerelle-reason"] for m in dead}
    assert "unknown_person" in reasons[stranger["id"]] and "schema_violation" in reasons[violation["id"]]
    assert len(facts(client, "mirec", people["mirec"], ANNE)) == before
    # Actiris hears nothing of Le Forem's mistakes.
    assert platform.queue_depth(platform.registry.agencies_vhost, "actiris.feedback") == 0


def test_an_event_whose_source_names_another_agency_is_dead_lettered_and_never_applied(
    platform, client, people, reference
):
    forged = event(inbound.EMPLOYMENT_ENDED, reference, source="/agencies/actiris")
    publish(platform, forged)
    vhost = platform.registry.site("mirec").vhost
    dead = []
    wait_until(
        lambda: (
            dead.extend(platform.get_messages(vhost, HANDLER + ".dead", 10))
            or any(json.loads(m["payload"])["id"] == forged["id"] for m in dead)
        ),
        timeout=30,
        what="the forged event's dead letter",
    )
    [letter] = [m for m in dead if json.loads(m["payload"])["id"] == forged["id"]]
    assert "names another sender" in letter["properties"]["headers"]["x-passerelle-reason"]
    assert forged["id"] not in {f["event_id"] for f in facts(client, "mirec", people["mirec"], ANNE)}


def test_mirena_never_sees_an_event_meant_for_mirec(platform, client, people, reference):
    """MIRENA follows the same person under the same Le Forem reference: still, MIREC's event stays MIREC's."""
    meant = event(inbound.TRAINING_ENTERED, reference)
    publish(platform, meant)
    wait_until(
        lambda: meant["id"] in {f["event_id"] for f in facts(client, "mirec", people["mirec"], ANNE)},
        timeout=30,
        what="the event on MIREC's file",
    )
    assert facts(client, "mirena", people["mirena"], NINA) == []
    assert (
        platform.scalar("mirena", "beneficiary", "SELECT count(*) FROM inbox WHERE event_id = :id", id=meant["id"]) == 0
    )
    assert platform.scalar("mirena", "beneficiary", "SELECT count(*) FROM agency_refusal") == 0
    assert platform.queue_depth(platform.registry.agencies_vhost, "forem.inbound.mirena") == 0
    # And MIRENA's own event reaches MIRENA only.
    theirs = event(inbound.TRAINING_ENTERED, reference, data={"mission": "mirena"})
    publish(platform, theirs, mission="mirena")
    wait_until(lambda: facts(client, "mirena", people["mirena"], NINA), timeout=30, what="the event on MIRENA's file")
    assert theirs["id"] not in {f["event_id"] for f in facts(client, "mirec", people["mirec"], ANNE)}


def test_an_event_is_applied_once_and_a_refusal_told_once_through_crashes(platform, client, people, reference):
    """The beneficiary process killed (kill -9) right after an agency fact committed, before its ack; then right
    after a refusal and its feedback committed, before the feedback left or the message was dead-lettered. Each is
    redelivered to the restarted process: the fact stays one, the feedback one, and the refusal is dead-lettered."""
    for site in [s for s in platform.sites if s.code == "mirec" and s.proc.poll() is None]:
        site.stop()
    applied = event(inbound.TRAINING_EXITED, reference)
    crashing = platform.start("mirec", services=["beneficiary"], faults=["events.before_ack"])
    publish(platform, applied)
    assert crashing.wait_killed() == -9
    assert (
        platform.scalar(
            "mirec", "beneficiary", "SELECT count(*) FROM agency_fact WHERE event_id = :id", id=applied["id"]
        )
        == 1
    )

    stranger = event(inbound.TRAINING_EXITED, "F-1999-000002")
    crashing = platform.start("mirec", services=["beneficiary"], faults=["outbox.after_commit"])
    publish(platform, stranger)
    assert crashing.wait_killed() == -9
    assert (
        platform.scalar(
            "mirec", "beneficiary", "SELECT count(*) FROM agency_refusal WHERE event_id = :id", id=stranger["id"]
        )
        == 1
    )

    platform.start("mirec", services=["beneficiary"])
    told = feedback(platform, 1)
    vhost = platform.registry.site("mirec").vhost
    dead = []
    wait_until(
        lambda: (
            dead.extend(platform.get_messages(vhost, HANDLER + ".dead", 10))
            or any(json.loads(m["payload"])["id"] == stranger["id"] for m in dead)
        ),
        timeout=30,
        what="the refused event's dead letter after the restart",
    )
    wait_until(lambda: settled(platform, "mirec"), timeout=30, what="every redelivery handled")
    wait_until(
        lambda: platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0,
        timeout=30,
        what="the relay to send everything",
    )
    told += feedback(platform, 0)
    assert [t["data"]["event_id"] for t in told] == [stranger["id"]]
    assert [f["event_id"] for f in facts(client, "mirec", people["mirec"], ANNE)].count(applied["id"]) == 1
