"""The outbox relay: publishes committed events, with confirms, exactly once in effect.

One green thread per service container reads pending outbox rows in
batches, publishes them persistent and ``mandatory`` on a channel in confirm
mode with every confirm of the batch in flight at once (waiting for each
confirm in turn caps a publisher near 1,200 messages/s), then marks the
confirmed rows sent. Runs of same-type internal and sector events travel
packed in one message (``packs``; consumers unpack them, ``kit.consumer``).
A nack, an unroutable return (no queue bound: a topology bug, never
silently dropped), a timeout or a lost connection leaves the row pending
with a backoff. A crash between confirm and marking republishes the
row: consumers' inboxes absorb that duplicate.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import amqp
import eventlet
from amqp.method_framing import frame_writer
from eventlet.queue import Empty, LightQueue
from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY, HEARTBEAT_CONFIG_KEY
from nameko.extensions import DependencyProvider
from sqlalchemy import func, or_, select, update

from contracts.envelope import STRUCTURED
from kit import faults, inputs, metrics
from kit.consumer import PACK_EVENTS, PACKED
from kit.outbox import ADDRESSED, EXCHANGES
from kit.storage import outbox

log = logging.getLogger(__name__)

BATCH_SIZE = 500
PACK_SIZE = PACK_EVENTS  # events per message at most: a few tens of kilobytes; consumers size their window by it
PACKED_AUDIENCES = ("internal", "sector")
CONFIRM_TIMEOUT = 10.0
IDLE_POLL = 0.5  # rows written by another process (CLI, earlier crash) are found within this
MAX_BACKOFF = 60.0
# The backlog gauges count the pending rows: cheap on a small backlog, a tenth of a second at 300,000 rows, so
# not after every batch. Alerts on lag look at minutes.
METRICS_EVERY = 5.0


def _now() -> datetime:
    return datetime.now(UTC)


class _GatheringWriter:
    """Stands between py-amqp's frame writer and the socket so that a whole batch leaves in one write.

    Published one by one, every message of a batch cost a socket send and a
    trip through the hub (a fifth of the relay's time, measured with py-spy).
    Outside a batch (heartbeats, the handshake) frames go straight through.
    """

    def __init__(self, transport):
        self.transport = transport
        self.chunks: list[bytes] | None = None

    def write(self, data) -> None:
        if self.chunks is None:
            self.transport.write(data)
        else:
            self.chunks.append(bytes(data))  # py-amqp reuses its frame buffer: copy it

    def gather(self) -> None:
        self.chunks = []

    def flush(self) -> None:
        chunks, self.chunks = self.chunks, None
        if chunks:
            self.transport.write(b"".join(chunks))


def packs(rows) -> list[list]:
    """The rows grouped into messages: runs of consecutive same-key internal or sector events, PACK_SIZE at most.

    The broker's cost (and the consumers' framing) is per message, about as much as everything else an event
    costs; a run of same-type events, as a campaign, an import or a replay writes them, travels as one message.
    Only consecutive rows are packed, so that no event overtakes another. Agency events and signals go one per
    message: their contracts (``contracts/asyncapi.yaml``) promise one CloudEvent per message.
    """
    groups: list[list] = []
    for row in rows:
        last = groups[-1] if groups else None
        if (
            last
            and row.audience in PACKED_AUDIENCES
            and len(last) < PACK_SIZE
            and last[0].audience == row.audience
            and last[0].routing_key == row.routing_key
        ):
            last.append(row)
        else:
            groups.append([row])
    return groups


def _message(group) -> amqp.Message:
    first = group[0]
    if len(group) == 1:
        # Structured mode of CloudEvents' AMQP binding: the content type says the body is the whole envelope.
        body, content_type = first.payload.encode("utf-8"), STRUCTURED
    else:
        # Payloads are JSON already: the batch is their array, built without decoding them.
        body, content_type = ("[" + ",".join(row.payload for row in group) + "]").encode("utf-8"), PACKED
    return amqp.Message(
        body,
        content_type=content_type,
        content_encoding="utf-8",
        delivery_mode=2,
        message_id=first.event_id,
        type=first.routing_key.split(".", 1)[-1] if first.audience in ADDRESSED else first.routing_key,
        timestamp=int(time.time()),
    )


class _ConfirmingChannel:
    """A py-amqp channel in confirm mode that publishes a batch and collects the verdicts."""

    def __init__(self, uri: str, heartbeat: int):
        self.kombu = Connection(uri, heartbeat=heartbeat, connect_timeout=5)
        self.kombu.connect()
        self.conn: amqp.Connection = self.kombu.connection
        self.writer = _GatheringWriter(self.conn.transport)
        self.conn.frame_writer = frame_writer(self.conn, self.writer)
        self.channel = self.conn.channel()
        self.channel.confirm_select()
        self.acked: set[int] = set()
        self.nacked: set[int] = set()
        self.returned: set[str] = set()
        self._last_tag = 0
        self._batch_first = 1
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self.channel.events["basic_return"].add(self._on_return)

    def _settle(self, target: set, tag: int, multiple: bool):
        if multiple:
            # Only this batch's tags: counting from 1 would walk every tag the connection ever published.
            target.update(t for t in range(self._batch_first, tag + 1) if t not in self.acked and t not in self.nacked)
        elif tag >= self._batch_first:
            target.add(tag)

    def _on_ack(self, tag, multiple):
        self._settle(self.acked, tag, multiple)

    def _on_nack(self, tag, multiple):
        self._settle(self.nacked, tag, multiple)

    def _on_return(self, exc, exchange, routing_key, message):
        self.returned.add(message.properties.get("message_id"))

    def publish_batch(self, rows) -> dict[int, str | None]:
        """Publish rows; return {seq: None if confirmed else the reason it was not}."""
        self.acked.clear()
        self.nacked.clear()
        self.returned.clear()
        self._batch_first = self._last_tag + 1
        tags: dict[int, list] = {}
        self.writer.gather()
        try:
            for group in packs(rows):
                self._last_tag += 1
                tags[self._last_tag] = group
                self.channel.basic_publish(
                    _message(group),
                    exchange=EXCHANGES[group[0].audience],
                    routing_key=group[0].routing_key,
                    mandatory=True,
                )
        finally:
            self.writer.flush()
        faults.point("relay.after_publish")
        deadline = time.monotonic() + CONFIRM_TIMEOUT
        while len(self.acked) + len(self.nacked) < len(tags):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                self.conn.drain_events(timeout=min(remaining, 1.0))
            except TimeoutError:
                continue
        verdicts: dict[int, str | None] = {}
        for tag, group in tags.items():
            if group[0].event_id in self.returned:
                why = "unroutable"
            elif tag in self.acked:
                why = None
            elif tag in self.nacked:
                why = "nacked"
            else:
                why = "confirm timeout"
            verdicts.update((row.seq, why) for row in group)
        return verdicts

    def heartbeat(self):
        """Read what the broker sent (its heartbeats, late confirms), then send ours if due.

        ``heartbeat_tick`` alone only counts bytes already read: on a connection
        nobody reads while idle it would declare the broker's heartbeats missed.
        """
        try:
            self.conn.drain_events(timeout=0)
        except TimeoutError:
            pass
        self.conn.heartbeat_tick()

    def close(self):
        try:
            self.kombu.release()
        except Exception:
            pass


class OutboxRelay(DependencyProvider):
    """Runs the relay for the container's ``Database``; wakes on every outbox commit."""

    def setup(self):
        self.service = self.container.service_name
        db = next((d for d in self.container.dependencies if type(d).__name__ == "Database"), None)
        if db is None:
            raise RuntimeError(f"{self.service}: OutboxRelay needs a Database dependency")
        self.store = db.store
        self.store.after_outbox_commit.append(self.wake)
        self._wakeup = LightQueue(maxsize=1)
        self._running = False
        self._channel: _ConfirmingChannel | None = None
        self._gt = None
        self._metrics_at = 0.0

    def start(self):
        self._running = True
        self._gt = self.container.spawn_managed_thread(self._run, identifier="outbox-relay")

    def stop(self):
        self._running = False
        self.wake()
        if self._gt is not None:
            self._gt.wait()

    def kill(self):
        self._running = False
        if self._gt is not None:
            self._gt.kill()

    def wake(self):
        try:
            self._wakeup.put_nowait(True)
        except eventlet.queue.Full:
            pass

    def _run(self):
        failures = 0
        while self._running:
            try:
                published = self.relay_once()
                failures = 0
            except Exception as exc:
                failures += 1
                log.warning("outbox relay of %s failed (%s: %s); retrying", self.service, type(exc).__name__, exc)
                metrics.PUBLISH_FAILURES.labels(self.service, type(exc).__name__).inc()
                self._drop_channel()
                published = 0
                eventlet.sleep(min(0.2 * 2**failures, MAX_BACKOFF / 10))
            self._update_metrics()
            if published == 0 and self._running:
                try:
                    self._wakeup.get(timeout=IDLE_POLL)
                except Empty:
                    self._idle_heartbeat()

    def _idle_heartbeat(self):
        if self._channel is None:
            return
        try:
            self._channel.heartbeat()
        except Exception as exc:
            # The broker went away while we were idle: the next batch opens a new connection.
            log.warning(
                "outbox relay of %s lost its broker connection while idle (%s)", self.service, type(exc).__name__
            )
            self._drop_channel()

    def _drop_channel(self):
        if self._channel:
            self._channel.close()
        self._channel = None

    def relay_once(self) -> int:
        """Publish one batch of due rows; return how many were confirmed."""
        now = _now()
        due = (outbox.c.sent_at.is_(None), or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now))
        # Look before taking the write lock: most passes find nothing to do.
        with self.store.sessions() as session:
            if session.execute(select(outbox.c.seq).where(*due).limit(1)).first() is None:
                return 0
        with self.store.transaction() as session:
            rows = session.execute(
                select(
                    outbox.c.seq,
                    outbox.c.event_id,
                    outbox.c.audience,
                    outbox.c.routing_key,
                    outbox.c.payload,
                    outbox.c.attempts,
                )
                .where(*due)
                .order_by(outbox.c.seq)
                .limit(BATCH_SIZE)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            if self._channel is None:
                self._channel = _ConfirmingChannel(
                    self.container.config[AMQP_URI_CONFIG_KEY], self.container.config.get(HEARTBEAT_CONFIG_KEY, 15)
                )
            verdicts = self._channel.publish_batch(rows)
            faults.point("relay.after_confirm")
            confirmed = [seq for seq, why in verdicts.items() if why is None]
            if confirmed:
                session.execute(update(outbox).where(outbox.c.seq.in_(confirmed)).values(sent_at=_now()))
            for row in rows:
                why = verdicts[row.seq]
                if why is None:
                    metrics.EVENTS_PUBLISHED.labels(self.service, row.audience).inc()
                    continue
                metrics.PUBLISH_FAILURES.labels(self.service, why).inc()
                delay = min(0.5 * 2**row.attempts, MAX_BACKOFF)
                session.execute(
                    update(outbox)
                    .where(outbox.c.seq == row.seq)
                    .values(
                        attempts=row.attempts + 1, last_error=why, next_attempt_at=_now() + timedelta(seconds=delay)
                    )
                )
                log.warning(
                    "event %s (%s) not confirmed: %s; retry in %.1fs", row.event_id, row.routing_key, why, delay
                )
            if len(confirmed) < len(rows):
                # A connection whose confirms timed out may be half-dead: start afresh.
                if any(v == "confirm timeout" for v in verdicts.values()):
                    self._drop_channel()
        return len(confirmed)

    def _update_metrics(self):
        if time.monotonic() < self._metrics_at:
            return
        self._metrics_at = time.monotonic() + METRICS_EVERY
        try:
            with self.store.sessions() as session:
                count, oldest = session.execute(
                    select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.sent_at.is_(None))
                ).one()
        except Exception:
            return
        metrics.OUTBOX_BACKLOG.labels(self.service).set(count)
        lag = (_now() - inputs.aware(oldest)).total_seconds() if oldest else 0.0
        metrics.OUTBOX_LAG.labels(self.service).set(max(lag, 0.0))
