"""The faults, one function each, run against a ``Rig`` under load.

Each scenario starts its own load (unless ``load=False``: the long run keeps
one load flowing across all of them), injects its fault while the load
flows, and returns a one-line note of what it did; the caller drains the platform
and asks the checker for the verdict. ``Scale`` says how hard: the short run
in the test suite uses ``Scale.short()``, the long run larger figures and a
seeded random schedule.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.envelope import make_event
from kit.consumer import MAX_ATTEMPTS
from tests.reliability.load import GatewayWriter
from tests.reliability.rig import HEARTBEAT, Rig

# Where each crash point is met: the consumer's handler path, or the producer's relay.
CONSUMER_POINTS = ("db.before_commit", "events.before_ack", "events.after_ack")
RELAY_POINTS = ("relay.after_publish", "relay.after_confirm")


@dataclass
class Scale:
    events: int  # per load phase
    rate: float  # events per second offered by the load (0: as fast as the producer writes)
    broker_kills: int
    outage: float  # seconds the broker stays down during gateway writes
    gateway_writes: int
    poison: int  # poison messages of each kind

    @classmethod
    def short(cls) -> Scale:
        # What `make test` runs: every fault once or twice, at the least that still shows it (two kills bring
        # the broker back twice; 10 s down, plus its start, outlasts the RPC budget, so writes fail and are asked
        # again).
        return cls(events=800, rate=600, broker_kills=2, outage=10, gateway_writes=20, poison=1)

    @classmethod
    def full(cls) -> Scale:
        return cls(events=20000, rate=0, broker_kills=10, outage=60, gateway_writes=200, poison=3)


def broker_kill9(rig: Rig, rng: random.Random, scale: Scale, load: bool = True) -> str:
    """``kill -9`` of the broker, again and again, while events flow; started again on the same data."""
    if load:
        rig.start_load(scale.events * max(1, scale.broker_kills // 3), scale.rate)
    downs = []
    for _ in range(scale.broker_kills):
        rig.sleep(rng.uniform(1.0, 4.0))
        rig.broker.kill9()
        down = rng.uniform(0.0, 3.0)
        rig.sleep(down)
        rig.broker.start()
        downs.append(down)
    return (
        f"broker killed -9 {scale.broker_kills} times under load (down {min(downs):.1f}-{max(downs):.1f} s "
        "plus its start)"
    )


def broker_graceful_restart(rig: Rig, rng: random.Random, scale: Scale, load: bool = True) -> str:
    if load:
        rig.start_load(scale.events, scale.rate)
    rig.sleep(rng.uniform(1.0, 2.0))
    rig.broker.restart(graceful=True)
    return "broker stopped with rabbitmqctl stop and started again under load"


def service_crash_points(rig: Rig, rng: random.Random, scale: Scale, load: bool = True) -> str:
    """The consumer killed before its effect commits, after commit before ack, after ack; the relay mid-batch."""
    hits = []
    for point in (*CONSUMER_POINTS, rng.choice(RELAY_POINTS)):
        role = "consumer" if point in CONSUMER_POINTS else "producer"
        # Both meet their points once per batch: the relay's (up to 500 rows) and the consumer's batch handler
        # (one event to 500), so the consumer is killed at its nth batch.
        nth = rng.randint(2, 6) if role == "consumer" else 1
        # Armed, then fed: the events wait in the queue (or the outbox) until the process reaches them.
        proc = rig.restart(role, faults=[f"{point}@{nth}"], wait=False)
        if load:
            rig.start_load(scale.events // 4, scale.rate)
        # Each trickle is a process of its own and the armed process starts from nothing: on two loaded cores a
        # batch can take seconds to arrive, so the wait is generous (it ends as soon as the point is met).
        deadline = time.monotonic() + 240
        while proc.proc.poll() is None and time.monotonic() < deadline:
            if not rig.loading():
                # A trickle in small transactions whenever no load runs: batch after batch reaches the process
                # until it meets its point, however the events before were grouped.
                rig.start_load(50, 200, batch=10)
            rig.sleep(0.2, but=role)
        if proc.proc.poll() is None:
            raise AssertionError(f"{role} never reached {point}@{nth}")
        assert proc.proc.returncode == -9, f"{role} ended with {proc.proc.returncode}, not by its fault point"
        hits.append(f"{point}@{nth}")
        rig.restart(role, wait=False)  # disarmed
    return "killed -9 at " + ", ".join(hits)


def poison_messages(rig: Rig, rng: random.Random, scale: Scale, load: bool = True) -> str:
    """Undecodable bodies, envelopes outside the contract, and events every handler attempt fails on."""
    vhost = rig.platform.registry.site("mirec").vhost
    stream = rig.stream
    for _ in range(scale.poison):
        mid = f"poison-undecodable-{uuid.uuid4().hex[:8]}"
        assert rig.platform.publish(vhost, "passerelle.events", stream.event_type, "{not json", message_id=mid)
        rig.poison.add((mid, stream.handler))
        rig.injected.add(mid)
        envelope = {"id": f"poison-envelope-{uuid.uuid4().hex[:8]}", "type": stream.event_type}
        assert rig.platform.publish(
            vhost, "passerelle.events", stream.event_type, json.dumps(envelope), message_id=envelope["id"]
        )
        rig.poison.add((envelope["id"], stream.handler))
        rig.injected.add(envelope["id"])
        # A valid envelope whose data is outside its type's schema: it fails MAX_ATTEMPTS times, then is
        # dead-lettered, by every running handler of its type (each loads it through contracts.payloads).
        failing = make_event(source="/missions/mirec/beneficiary", type=stream.poison_type, data={"unexpected": True})
        assert rig.platform.publish(
            vhost, "passerelle.events", failing.type, json.dumps(failing.to_dict()), message_id=failing.id
        )
        rig.poison.add((failing.id, stream.poison_handler))
        for consumer in rig.reader.consumers_of("mirec", "internal", failing.type):
            rig.poison.add((failing.id, consumer.handler))
        rig.injected.add(failing.id)
    if load:
        rig.start_load(scale.events // 2, scale.rate)
    return (
        f"{3 * scale.poison} poison messages (undecodable, outside the envelope, failing the handler "
        f"{MAX_ATTEMPTS} times) among {scale.events // 2} valid events"
    )


def gateway_writes_broker_down(rig: Rig, rng: random.Random, scale: Scale, load: bool = True) -> str:
    """Registrations through the gateway while the broker is killed and kept down."""
    from gateway.auth import mint
    from runtime.demo import DemoFactory, national_number

    url = rig.start_gateway()
    token = mint("reliability.counsellor", "mirec", ["counsellor"])
    factory = DemoFactory(seed=rng.randint(0, 10**6))
    people = []
    base = date(1970, 1, 1) + timedelta(days=rng.randint(0, 9000))
    for i in range(scale.gateway_writes):
        person = factory.beneficiary("50000")
        born = base + timedelta(days=i // 400)
        person["birth_date"] = born.isoformat()
        person["niss"] = national_number(born, 1 + 2 * (i % 400) + (0 if person["gender"] == "M" else 1))
        people.append(person)
    writer = GatewayWriter(url, token, "mirec", people, pause=0.1).start()
    rig.sleep(2.0)
    rig.broker.kill9()
    rig.sleep(scale.outage)
    rig.broker.start()
    deadline = time.monotonic() + 240
    while not writer.done and time.monotonic() < deadline:
        rig.sleep(1.0)
    writer.stop()
    if not writer.done:
        raise AssertionError(f"{len(writer.pending)} gateway writes never acknowledged; answers {writer.answers}")
    rig.acknowledged.update(writer.acknowledged)
    answers = ", ".join(f"{k or 'no answer'}×{v}" for k, v in sorted(writer.answers.items()))
    return (
        f"{scale.gateway_writes} registrations through the gateway, broker killed and down {scale.outage:.0f} s "
        f"meanwhile; answers: {answers}"
    )


def service_frozen(rig: Rig, rng: random.Random, scale: Scale, load: bool = True) -> str:
    """SIGSTOP the consumer for three heartbeats under load, then SIGCONT."""
    if load:
        rig.start_load(scale.events, scale.rate)
    rig.sleep(rng.uniform(1.0, 3.0))
    proc = rig.processes["consumer"].proc
    proc.send_signal(19)  # SIGSTOP
    time.sleep(3 * HEARTBEAT + 1)
    proc.send_signal(18)  # SIGCONT
    rig.sleep(3.0)
    return f"consumer frozen (SIGSTOP) for {3 * HEARTBEAT + 1} s, three {HEARTBEAT}-s heartbeats, under load"


SCENARIOS = {
    "broker_kill9": broker_kill9,
    "broker_graceful_restart": broker_graceful_restart,
    "service_crash_points": service_crash_points,
    "poison_messages": poison_messages,
    "gateway_writes_broker_down": gateway_writes_broker_down,
    "service_frozen": service_frozen,
}
