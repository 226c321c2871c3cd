"""CloudEvents 1.0 envelope, as JSON on the wire.

Every event the platform publishes is a structured-mode CloudEvent:
``id`` (UUID, the consumers' deduplication key), ``source``
(``/missions/<code>/<service>``; ``/agencies/<agency>`` for what an agency
sends a Mission), ``type`` (``be.mire.<service>.<fact>.v<N>``), ``time``
(ISO 8601, UTC), ``subject`` (the entity's reference, never a name or
national number), ``dataschema`` (which audience's schema ``data``
follows) and ``data`` (plain JSON primitives only).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

SPECVERSION = "1.0"
# CloudEvents' AMQP binding, structured mode: the content type names the envelope, one event per message (the
# SDKs read a message as a CloudEvent by it); a relay's packed run of events is the JSON batch format.
STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
# internal: within a Mission; sector: Mission -> InterMire; agency: Mission -> Le Forem / Actiris;
# signal: InterMire -> the Missions concerned (pseudonyms only, e.g. "followed by another Mission");
# transfer: one Mission -> another, a person's file handed over with their consent (never through InterMire);
# inbound: Le Forem / Actiris -> the Mission it names (contracts.agency.inbound), and feedback: a Mission -> the
# agency whose inbound event it refused (which event, why).
AUDIENCES = ("internal", "sector", "agency", "signal", "transfer", "inbound", "feedback")
# Each audience travels on its own topic exchange (the same name in every vhost); the broker's shovels carry the
# sector and agency exchanges' traffic out of a Mission, the signals exchange's from InterMire to the Mission
# each signal names, and the transfers exchange's through the transfers vhost to the Mission each transfer names.
EXCHANGES = {
    "internal": "passerelle.events",
    "sector": "passerelle.sector",
    "agency": "passerelle.agency",
    "signal": "passerelle.signals",
    "transfer": "passerelle.transfers",
    "feedback": "passerelle.feedback",
}
TYPE_PATTERN = r"^be\.mire\.[a-z_]+\.[a-z_0-9]+\.v[0-9]+$"


class EnvelopeSchema(Schema):
    specversion = fields.String(required=True, validate=validate.Equal(SPECVERSION))
    id = fields.String(required=True, validate=validate.Length(1, 64))
    source = fields.String(
        required=True, validate=validate.Regexp(r"^/(missions/[a-z0-9-]+|intermire|agencies)/[a-z_]+$")
    )
    type = fields.String(required=True, validate=validate.Regexp(TYPE_PATTERN))
    time = fields.String(required=True)
    subject = fields.String(load_default=None, allow_none=True)
    datacontenttype = fields.String(load_default="application/json")
    dataschema = fields.String(required=True)
    data = fields.Dict(required=True)


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    source: str
    time: str
    subject: str | None
    dataschema: str
    data: dict[str, Any]

    @property
    def audience(self) -> str:
        return self.dataschema.split(":")[3]

    def to_dict(self) -> dict[str, Any]:
        return {
            "specversion": SPECVERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": self.time,
            "subject": self.subject,
            "datacontenttype": "application/json",
            "dataschema": self.dataschema,
            "data": self.data,
        }


def dataschema(audience: str, event_type: str) -> str:
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    return f"urn:passerelle:schema:{audience}:{event_type}"


def make_event(
    *,
    source: str,
    type: str,
    data: dict[str, Any],
    audience: str = "internal",
    subject: str | None = None,
    event_id: str | None = None,
    time: datetime | None = None,
) -> Event:
    when = (time or datetime.now(UTC)).astimezone(UTC)
    return Event(
        id=event_id or str(uuid.uuid4()),
        type=type,
        source=source,
        time=when.isoformat().replace("+00:00", "Z"),
        subject=subject,
        dataschema=dataschema(audience, type),
        data=data,
    )


class InvalidEnvelope(ValueError):
    """The message is not a CloudEvent of this contract (a poison message)."""


_ENVELOPE = EnvelopeSchema()  # a schema keeps no state between loads: one instance serves every message


def parse(body: Any) -> Event:
    if not isinstance(body, dict):
        raise InvalidEnvelope("not a valid event envelope: body is not a JSON object")
    try:
        raw = _ENVELOPE.load(body)
    except ValidationError as exc:
        raise InvalidEnvelope(f"not a valid event envelope: {exc.messages}") from None
    return Event(
        id=raw["id"],
        type=raw["type"],
        source=raw["source"],
        time=raw["time"],
        subject=raw["subject"],
        dataschema=raw["dataschema"],
        data=raw["data"],
    )
