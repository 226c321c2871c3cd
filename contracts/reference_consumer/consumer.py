"""Consume an agency's queue: validate, deduplicate, apply, acknowledge; dead-letter what is not the contract.

A message's body is one structured CloudEvent; its content type is
``application/cloudevents+json`` (CloudEvents' AMQP binding), or
``application/json`` for messages sent before that and still in a queue or
its dead letters: the body is read the same way whatever the type says.

For each message:

* not JSON, not a CloudEvent of the contract, or data outside its type's
  JSON Schema → rejected without requeue: the broker moves it to
  ``<queue>.dead`` (with an ``x-death`` header saying ``rejected``), where an
  operator can look at it; it never blocks the queue;
* a type this consumer has no schema for (a newer type or version) →
  acknowledged and counted as ignored: consumers read tolerantly, and a new
  version is published beside the old one while consumers migrate;
* an event id already applied (a redelivery or a replay) → acknowledged, not
  applied again;
* otherwise applied and recorded in one SQLite transaction, then
  acknowledged. If applying fails, the message is requeued; the quorum
  queue's delivery limit dead-letters it after five attempts.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pika

from contracts.reference_consumer.store import EventStore

log = logging.getLogger("agency-consumer")
SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
ENVELOPE_REQUIRED = ("specversion", "id", "source", "type", "time", "dataschema", "data")


class Malformed(ValueError):
    """Not an event of the contract: dead-lettered."""


@dataclass
class Tally:
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    ignored: int = 0
    requeued: int = 0
    reasons: list[str] = field(default_factory=list)


class Validator:
    """The contract's JSON Schemas for one agency, by event type."""

    def __init__(self, agency: str, schemas: Path = SCHEMAS):
        self.validators = {}
        for path in sorted((schemas / agency).glob("*.json")):
            schema = json.loads(path.read_text())
            self.validators[path.stem] = jsonschema.Draft7Validator(
                schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
            )
        if not self.validators:
            raise FileNotFoundError(f"no JSON Schema for {agency} under {schemas}")

    def check(self, body: bytes) -> dict[str, Any] | None:
        """The event, or None for a type without schema here; raises Malformed."""
        try:
            event = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Malformed(f"not JSON: {exc}") from None
        if not isinstance(event, dict) or any(k not in event for k in ENVELOPE_REQUIRED):
            raise Malformed("not a CloudEvent: one of " + ", ".join(ENVELOPE_REQUIRED) + " is missing")
        if event["specversion"] != "1.0":
            raise Malformed(f"CloudEvents specversion {event['specversion']!r} is not 1.0")
        validator = self.validators.get(str(event["type"]))
        if validator is None:
            return None
        errors = sorted(validator.iter_errors(event), key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].path)
            raise Malformed(f"outside the contract at '{where}': {errors[0].message}")
        return event


class Consumer:
    def __init__(
        self,
        url: str,
        agency: str,
        store: EventStore,
        queue: str | None = None,
        schemas: Path = SCHEMAS,
        prefetch: int = 50,
    ):
        self.url, self.agency, self.store = url, agency, store
        self.queue = queue or f"{agency}.events"
        self.validator = Validator(agency, schemas)
        self.prefetch = prefetch
        self.tally = Tally()

    def handle(self, channel: Any, method: Any, body: bytes) -> None:
        try:
            event = self.validator.check(body)
        except Malformed as exc:
            # The agency's user may not publish: the broker dead-letters the rejected message itself.
            channel.basic_reject(method.delivery_tag, requeue=False)
            self.tally.dead_lettered += 1
            self.tally.reasons.append(str(exc))
            log.warning("dead-lettered: %s", exc)
            return
        if event is None:
            channel.basic_ack(method.delivery_tag)
            self.tally.ignored += 1
            return
        try:
            applied = self.store.apply_once(event)
        except Exception:
            log.exception("could not apply %s; requeued", event["id"])
            channel.basic_nack(method.delivery_tag, requeue=True)
            self.tally.requeued += 1
            return
        channel.basic_ack(method.delivery_tag)
        if applied:
            self.tally.applied += 1
        else:
            self.tally.duplicates += 1

    def run(self, idle_exit: float | None = None) -> Tally:
        """Consume until stopped, or until no message came for ``idle_exit`` seconds."""
        params = pika.URLParameters(self.url)
        params.heartbeat = 15
        connection = pika.BlockingConnection(params)
        try:
            channel = connection.channel()
            channel.basic_qos(prefetch_count=self.prefetch)
            # No declaration: the queue is the platform's, and this user may configure nothing.
            for method, _props, body in channel.consume(self.queue, inactivity_timeout=idle_exit):
                if method is None:
                    break
                self.handle(channel, method, body)
            channel.cancel()
        finally:
            if connection.is_open:
                connection.close()
        return self.tally
