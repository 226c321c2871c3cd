"""Consuming events: ``@event_handler``, with explicit failure semantics.

A handler consumes one event type (or a few: ``@event_handler(a, b)``, one
queue bound to each) from a quorum queue that broker setup declared before
anything was published (``kit.topology``); the handler never declares it, so
a late consumer finds every event waiting for it.

Failure semantics, the same for every handler:

* the body is not a CloudEvent of the contract (undecodable JSON, missing
  fields): dead-lettered at once with the reason — retrying cannot help;
* the handler's ``admit`` check (``event, headers, container config``)
  raises ``NotAdmitted``, for what the broker says of the message's way
  (``kit.forwarded``): dead-lettered at once with the reason, never applied;
* the handler raises ``NotAdmitted`` (a refusal it has recorded, say): dead-lettered
  at once with the reason, never retried;
* the handler raises anything else: the message is returned to the queue after a short
  backoff (no hot loop), and on its ``MAX_ATTEMPTS``-th failure it is
  dead-lettered with the exception's type and message as the reason;
* the process dies mid-handler: the broker redelivers; the queue's delivery
  limit dead-letters a message that keeps killing its consumer.

Dead letters land in ``<queue>.dead`` with ``x-passerelle-reason``,
``x-passerelle-handler`` and ``x-passerelle-attempts`` headers. Handlers make
their effect idempotent with ``Database.once(event)``.

A message may carry several events: the relay packs runs of same-type
internal and sector events into one message (``PACKED``, the CloudEvents
JSON batch format), since the broker's cost is per message. The semantics
above hold per event: a packed message is acknowledged once all its events
took effect or were dead-lettered (each alone, as a message of its own); an
event that asks for a retry returns the whole message to the queue once its
other events are done, and the inbox skips those when it comes back.

A high-volume handler can take its events in batches:
``@event_handler(type, batch=500)`` calls the method with a list of up to
500 events, gathered from a prefetch window for at most ``LINGER`` seconds,
and acknowledges them all once the method returns; the method applies them
in one transaction with ``Database.once_each(events)`` (one inbox lookup,
one multi-row insert). A batch that raises is split: each of its events is
handled again alone, with exactly the failure semantics above, so one
poison event costs its batch a retry and is dead-lettered alone.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from functools import partial

import eventlet
from kombu import Connection, Exchange, Queue
from kombu.serialization import register
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer, QueueConsumer

from contracts.envelope import BATCH, EXCHANGES, STRUCTURED, InvalidEnvelope, parse
from kit import faults, metrics
from kit.amqp_reads import buffer_reads
from kit.forwarded import NotAdmitted

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
TURN = 0.2  # seconds an idle consumer loop waits before it looks at stop requests again (PromptQueueConsumer)
LINGER = 0.02  # how long a partial batch waits for more events: short against the latency it adds
DLX = "passerelle.dlx"
# Where the transfers addressed to a Mission arrive, shovelled from the transfers vhost: an exchange of its own, not
# the Mission's passerelle.transfers (what it sends out), which no service user may publish to.
TRANSFERS_IN = "passerelle.transfers.in"
# Where what an agency sends this Mission arrives, shovelled from the agency's queue for this Mission on /agencies
# (contracts.agency.inbound): like TRANSFERS_IN, an exchange only the shovel user may publish to.
AGENCY_IN = "passerelle.agency.in"
# The exchanges a handler may consume from (agency events leave the platform: nothing here consumes them).
SOURCES = {audience: EXCHANGES[audience] for audience in ("internal", "sector", "signal")} | {
    "transfer": TRANSFERS_IN,
    "inbound": AGENCY_IN,
}
# A relay's packed batch: a JSON array of structured CloudEvents (the CloudEvents JSON batch format), of at
# most PACK_EVENTS events (kit.relay packs runs of same-type events up to that).
PACKED = BATCH
PACK_EVENTS = 50
register("cloudevents-batch", json.dumps, json.loads, content_type=PACKED, content_encoding="utf-8")
# A single event travels as STRUCTURED (CloudEvents' AMQP binding, structured mode). Plain ``application/json``
# (nameko's own "json") stays accepted: during a rolling upgrade, and after it in queues and dead-letter queues,
# there are messages the previous relay sent with that type, and they must still be consumed or re-sent.
register("cloudevents", json.dumps, json.loads, content_type=STRUCTURED, content_encoding="utf-8")


def binding_key(source: str, event_type: str) -> str:
    """Signals, transfers and agencies' events keep their addressee in front of the type (``mirec.be.mire…``)
    across the shovel."""
    return f"*.{event_type}" if source in ("signal", "transfer", "inbound") else event_type


def queue_name(service: str, method: str) -> str:
    return f"{service}.{method}"


def queue_arguments(name: str) -> dict:
    """Arguments of every consumer queue; broker setup declares with exactly these."""
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": MAX_ATTEMPTS,
        "x-dead-letter-exchange": DLX,
        "x-dead-letter-routing-key": name,
        # At-least-once dead-lettering: a dead letter is removed from the queue
        # only once the dead-letter queue has confirmed it.
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


class PromptQueueConsumer(QueueConsumer):
    """nameko's queue consumer, turning its loop five times a second when idle instead of once.

    Every step of a container's stop (each entrypoint unregistering, a reply listener unregistering, the
    consumer's own end) waits for the consumer loop's next turn, and kombu's loop turns on a delivery or after
    ``safety_interval``, one second: an idle site took two to four seconds to stop, nearly all of it in these
    waits. Every queue consumer of the platform is this one (``EventQueueConsumer`` below; ``kit.rpc.rpc`` and
    ``TimedRpcProxy`` for RPC). The idle sites' CPU did not move measurably (twelve sites: 23.6 % of a core
    with one turn a second, 25.4 % with five, at load 12-17).
    """

    def consume(self, *args, **kwargs):
        kwargs["safety_interval"] = TURN
        return super().consume(*args, **kwargs)


class EventQueueConsumer(PromptQueueConsumer):
    """nameko's queue consumer, on its own connection, with decode errors dead-lettered."""

    def get_consumers(self, consumer_cls, channel):
        # Called after every (re)connection: the new connection's reads are buffered too.
        buffer_reads(channel.connection.transport)
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(provider.dead_letter, reason_prefix="undecodable")
        return consumers

    @property
    def accept(self):
        return [*super().accept, PACKED, STRUCTURED]

    def ack_messages(self, messages) -> None:
        for message in messages:
            self.ack_message(message)

    def ack_now(self, message) -> None:
        self.ack_message(message)


class BatchQueueConsumer(EventQueueConsumer):
    """The queue consumer of batch handlers: its own connection, a prefetch window of two batches.

    nameko's consumer prefetches ``max_workers`` messages, too few to gather a
    batch; a separate consumer keeps the ordinary handlers at that window.

    Two costs per event are paid per batch here instead:

    * a delivery is parsed and gathered in the consumer's own thread (gathering
      never blocks), not in a green thread of its own;
    * acknowledgements go out as one ``multiple`` ack up to the highest
      delivery tag below which every delivery of the channel is settled (the
      ``AckWatermark``): a batch that finishes before an older one waits for
      it, so an ack never covers an event whose effect is not committed.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._watermarks: dict[int, AckWatermark] = {}

    @property
    def prefetch_count(self):
        # Two batches' worth of events, counted in packed messages (``PACK_EVENTS`` each at most): a window of
        # messages is all AMQP knows, and every message in it is redelivered with one more delivery count
        # whenever the connection goes (a broker restart, a crash). Counted in single events, the window held
        # fifty times more, and the head of a long queue met its delivery limit across a few outages.
        return max([self.container.max_workers, *(-(-2 * p.batch // PACK_EVENTS) for p in self._providers)])

    def _watermark(self, channel) -> AckWatermark:
        mark = self._watermarks.get(id(channel))
        if mark is None or mark.channel is not channel:
            # A new channel (after a reconnection): the old one's deliveries went back to the queue with it.
            self._watermarks = {k: m for k, m in self._watermarks.items() if m.channel.connection}
            mark = self._watermarks[id(channel)] = AckWatermark(channel)
        return mark

    def handle_message(self, provider, body, message):
        self._watermark(message.channel).delivered(message.delivery_tag)
        provider.receive(body, message)

    def ack_message(self, message):
        self.ack_messages([message])

    def ack_now(self, message) -> None:
        """Acknowledge this delivery at once, alone (a dead letter: the sooner, the less likely a second copy)."""
        if message.channel.connection:
            message.channel.basic_ack(message.delivery_tag)
            self._watermark(message.channel).settle([message.delivery_tag], ack=False)

    def ack_messages(self, messages) -> None:
        """Acknowledge deliveries whose effects are committed, each channel's as soon as nothing older is open.

        A batch gathered across a reconnection holds deliveries of the old channel and of the new one: the old
        one's are the broker's again (it took them back with the connection), the new one's must be acked, or
        they would hold the new channel's window shut.
        """
        by_channel: dict[int, tuple] = {}
        for message in messages:
            by_channel.setdefault(id(message.channel), (message.channel, []))[1].append(message.delivery_tag)
        for channel, tags in by_channel.values():
            if channel.connection:  # otherwise the broker has taken them back already
                self._watermark(channel).settle(tags, ack=True)

    def requeue_message(self, message):
        if message.channel.connection:
            message.requeue()
            self._watermark(message.channel).settle([message.delivery_tag], ack=False)


class AckWatermark:
    """The deliveries of one channel not yet settled, in delivery order, and the acks they hold back.

    ``settle(tags, ack=True)`` records that those deliveries' effects are
    done; whenever the oldest deliveries are all settled, one ``basic_ack``
    with ``multiple`` covers those of them that are to be acked. A requeued
    delivery was rejected on its own and is simply passed over (the broker
    no longer counts it among the channel's unacknowledged messages).
    """

    def __init__(self, channel):
        self.channel = channel
        self._order: deque[int] = deque()  # delivery tags, oldest first
        self._state: dict[int, bool | None] = {}  # None: in progress; True: to ack; False: requeued

    def delivered(self, tag: int) -> None:
        self._order.append(tag)
        self._state[tag] = None

    def settle(self, tags, ack: bool) -> None:
        for tag in tags:
            if tag in self._state:
                self._state[tag] = ack
            elif ack:  # delivered before this channel was tracked: settled alone
                self.channel.basic_ack(tag)
        last_ack = None
        while self._order and self._state[self._order[0]] is not None:
            oldest = self._order.popleft()
            if self._state.pop(oldest):
                last_ack = oldest
        if last_ack is not None:
            self.channel.basic_ack(last_ack, multiple=True)


class EventHandler(Consumer):
    queue_consumer = EventQueueConsumer()

    def __init__(
        self, event_type: str, *more_types: str, source: str = "internal", batch: int = 0, admit=None, **kwargs
    ):
        if source not in SOURCES:
            raise ValueError(f"source must be one of {sorted(SOURCES)}")
        if batch < 0 or batch == 1:
            raise ValueError("batch is the most events per call (2 or more), or 0 for one event per call")
        self.event_type = event_type
        # Further types bind to the same queue: a handler that applies several families alike costs one quorum
        # queue (and its dead letters), not one per family, and every quorum queue is a Raft group the broker
        # recovers at each start.
        self.event_types = (event_type, *more_types)
        self.source = source
        self.batch = batch
        self.admit = admit  # (event, headers, config) -> None, or NotAdmitted: dead-lettered at once
        if batch:
            self.queue_consumer = BatchQueueConsumer()
        self._gathered: list = []
        self._linger = None
        super().__init__(queue=None, **kwargs)

    @property
    def queue_name(self) -> str:
        return queue_name(self.container.service_name, self.method_name)

    def setup(self):
        name = self.queue_name
        # no_declare: the queue and its binding belong to broker setup.
        self.queue = Queue(
            name,
            exchange=Exchange(SOURCES[self.source], type="topic", no_declare=True),
            routing_key=binding_key(self.source, self.event_type),
            queue_arguments=queue_arguments(name),
            durable=True,
            no_declare=True,
        )
        super().setup()

    def stop(self):
        self._flush()  # what was gathered is handled, not left for redelivery
        super().stop()

    def handle_message(self, body, message):
        """A single handler's delivery: nameko runs this in a green thread of its own."""
        self.receive(body, message)

    def receive(self, body, message) -> None:
        """Parse a delivery's events (one, or a relay's packed batch) and hand each on; never blocks for long.

        A batch handler's deliveries come here in the consumer's own thread (``BatchQueueConsumer``):
        parsing and gathering do not wait on anything.
        """
        packed = isinstance(body, list)
        delivery = Delivery(message, len(body) if packed else 1, packed)
        if not delivery.open:
            self._finish([(None, delivery)], open_=0)
            return
        for item in body if packed else [body]:
            try:
                event = parse(item)
                if self.admit is not None:
                    self.admit(event, message.headers, self.container.config)
            except (InvalidEnvelope, NotAdmitted) as exc:
                # Dead-lettering publishes and waits for a confirm: in a thread of its own.
                self.container.spawn_managed_thread(
                    partial(self._dead_letter_event, delivery, item, exc), identifier="dead-letter"
                )
                continue
            if self.batch:
                self._gather((event, delivery))
            else:
                self._spawn_one((event, delivery))

    # -- batches -----------------------------------------------------------
    def _gather(self, item) -> None:
        self._gathered.append(item)
        if len(self._gathered) >= self.batch:
            self._flush()
        elif self._linger is None:
            self._linger = eventlet.spawn_after(LINGER, self._flush)

    def _flush(self) -> None:
        # Take the batch before cancelling the timer: cancelling a green thread switches to it, and the events
        # that arrive meanwhile belong to the next batch.
        batch, self._gathered = self._gathered, []
        linger, self._linger = self._linger, None
        if linger is not None:
            linger.cancel()
        if len(batch) == 1:
            self._spawn_one(batch[0])
        elif batch:
            # A batch is no single caller's work: its worker gets a fresh call id.
            try:
                self.container.spawn_worker(
                    self,
                    ([event for event, _ in batch],),
                    {},
                    context_data={},
                    handle_result=partial(self.handle_batch_result, batch),
                )
            except ContainerBeingKilled:
                self._finish(batch, retry=True)

    def _spawn_one(self, item) -> None:
        event, delivery = item
        try:
            self.container.spawn_worker(
                self,
                ([event],) if self.batch else (event,),
                {},
                context_data=self.unpack_message_headers(delivery.message),
                handle_result=partial(self.handle_event_result, item),
            )
        except ContainerBeingKilled:
            self._finish([item], retry=True)

    def handle_batch_result(self, batch, worker_ctx, result=None, exc_info=None):
        if exc_info is not None:
            log.warning(
                "%s: a batch of %d events failed (%s); handling each alone",
                self.queue_name,
                len(batch),
                type(exc_info[1]).__name__,
            )
            # From a thread of its own: this worker holds a pool slot the single events may need.
            self.container.spawn_managed_thread(partial(self._one_by_one, batch), identifier="batch-split")
            return result, exc_info
        metrics.EVENTS_CONSUMED.labels(self.container.service_name, self.method_name, "applied").inc(len(batch))
        faults.point("events.before_ack")
        self._finish(batch)
        faults.point("events.after_ack")
        return result, exc_info

    def _one_by_one(self, batch: list) -> None:
        for item in batch:
            self._spawn_one(item)

    def handle_event_result(self, item, worker_ctx, result=None, exc_info=None):
        """One event's outcome: done, or retried with its delivery, or dead-lettered alone on its last attempt."""
        event, delivery = item
        service = self.container.service_name
        if exc_info is None:
            metrics.EVENTS_CONSUMED.labels(service, self.method_name, "applied").inc()
            faults.point("events.before_ack")
            self._finish([item])
            faults.point("events.after_ack")
            return result, exc_info
        metrics.EVENTS_CONSUMED.labels(service, self.method_name, "failed").inc()
        attempt = int((delivery.message.headers or {}).get("x-delivery-count", 0)) + 1
        exc = exc_info[1]
        if attempt >= MAX_ATTEMPTS or isinstance(exc, NotAdmitted):
            self._dead_letter_event(delivery, event.to_dict(), exc, attempts=attempt)
            return result, exc_info
        delay = min(0.1 * 2**attempt, 2.0)
        log.warning(
            "%s failed on %s (attempt %d of %d: %s); returned to the queue in %.1fs",
            self.queue_name,
            event.id,
            attempt,
            MAX_ATTEMPTS,
            type(exc).__name__,
            delay,
        )
        eventlet.sleep(delay)
        self._finish([item], retry=True)
        return result, exc_info

    def _finish(self, items, retry: bool = False, open_: int = 1, now: bool = False) -> None:
        """Count these events done; settle each delivery whose events are all done.

        A delivery is acknowledged when all its events took effect (or went to the dead-letter queue), and
        returned to the queue when one of them asked for a retry: it comes back whole, and the inbox skips the
        events that already took effect.
        """
        done = []
        for _, delivery in items:
            delivery.open -= open_
            delivery.retry = delivery.retry or retry
            if delivery.open == 0:
                done.append(delivery)
        acks = [d.message for d in done if not d.retry]
        if acks and now:  # a dead letter's delivery: acked at once, not when older deliveries are settled
            for message in acks:
                self._settle(self.queue_consumer.ack_now, message)
        elif acks:
            self._settle(self.queue_consumer.ack_messages, acks)
        for delivery in done:
            if delivery.retry:
                self._settle(self.queue_consumer.requeue_message, delivery.message)

    def _settle(self, settle, message_or_messages) -> None:
        """Ack or requeue; a connection lost meanwhile is not this worker's death.

        nameko's own guard catches only its library's connection errors: a
        socket reset while the broker restarts escaped the worker and took the
        whole container down. The broker requeues an unsettled message when
        its connection goes, and the inbox absorbs the redelivery.
        """
        try:
            settle(message_or_messages)
        except OSError as exc:
            log.warning(
                "%s: could not settle a delivery, the broker connection is gone (%s); it will be redelivered",
                self.queue_name,
                type(exc).__name__,
            )

    def _dead_letter_event(self, delivery, item, exc, attempts: int = 1) -> None:
        """One event of a delivery to the dead-letter queue; the delivery is settled with its other events."""
        message = delivery.message
        body = json.dumps(item, ensure_ascii=False).encode() if delivery.packed else message.body
        event_id = item.get("id") if delivery.packed and isinstance(item, dict) else None
        sent = self._publish_dead_letter(message, body, exc, attempts, message_id=event_id)
        self._finish([(None, delivery)], retry=not sent, now=True)

    def dead_letter(self, message, exc, attempts: int = 1, reason_prefix: str = "") -> None:
        """A whole message (its body undecodable) to this queue's dead-letter queue with its reason, then ack it."""
        if self._publish_dead_letter(message, message.body, exc, attempts, reason_prefix=reason_prefix):
            self.queue_consumer.ack_now(message)
        else:
            self.queue_consumer.requeue_message(message)

    def _publish_dead_letter(
        self, message, body: bytes, exc, attempts: int, reason_prefix: str = "", message_id: str | None = None
    ) -> bool:
        reason = f"{reason_prefix + ': ' if reason_prefix else ''}{type(exc).__name__}: {exc}"[:500]
        headers = dict(message.headers or {})
        headers.update(
            {"x-passerelle-reason": reason, "x-passerelle-handler": self.queue_name, "x-passerelle-attempts": attempts}
        )
        # One event taken out of a packed batch is dead-lettered as a single structured event.
        content_type = STRUCTURED if message_id else message.content_type
        try:
            with Connection(
                self.container.config[AMQP_URI_CONFIG_KEY], transport_options={"confirm_publish": True}
            ) as conn:
                conn.Producer().publish(
                    body,
                    exchange=DLX,
                    routing_key=self.queue_name,
                    headers=headers,
                    content_type=content_type,
                    content_encoding=message.content_encoding,
                    delivery_mode=2,
                    message_id=message_id or message.properties.get("message_id"),
                    retry=True,
                    retry_policy={"max_retries": 3},
                )
        except Exception:
            log.exception("could not dead-letter a message of %s; returned to the queue", self.queue_name)
            return False
        log.error("dead-lettered a message of %s after %d attempt(s): %s", self.queue_name, attempts, reason)
        metrics.EVENTS_DEAD_LETTERED.labels(self.container.service_name, self.method_name).inc()
        return True


class Delivery:
    """One AMQP message and the events it carries: one, or a batch the relay packed (``kit.relay``).

    ``open`` counts its events not yet done; ``retry`` says one of them asked to be tried again.
    """

    __slots__ = ("message", "open", "packed", "retry")

    def __init__(self, message, events: int, packed: bool):
        self.message, self.open, self.packed, self.retry = message, events, packed, False


event_handler = EventHandler.decorator


def handlers_of(service_cls) -> list[tuple[str, str, str]]:
    """(method name, event type, source) of every event handler of a service class: one row per type it binds,
    so a handler of several types (one queue) has several rows."""
    found: list[tuple[str, str, str]] = []
    for attr in dir(service_cls):
        method = getattr(service_cls, attr, None)
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, EventHandler):
                found.extend((attr, event_type, entrypoint.source) for event_type in entrypoint.event_types)
    return sorted(found)
