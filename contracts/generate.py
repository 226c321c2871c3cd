"""Generate the event contract's documents from its payload classes (``contracts.catalogue``).

    python -m contracts.generate          write contracts/asyncapi*.yaml, contracts/schemas/ and contracts/examples/
    python -m contracts.generate --check  exit 1 if the committed files differ from what would be written

For the agencies (published to Le Forem and Actiris): per agency and event
type, a self-contained JSON Schema of the whole CloudEvent as that agency
receives it (``schemas/<agency>/<type>.json``: the envelope, and ``data``
narrowed to the agency's field policy), and one AsyncAPI 3.0 document
describing the agencies' queues on ``/agencies`` (``asyncapi.yaml``); and per
agency and event type a sample message (``examples/<agency>/<type>.json``,
``contracts.samples``) that validates against that schema. The same for the
inbound direction (``contracts.agency.inbound``): per agency, a schema and a
sample of each event it sends (``<agency>/inbound/<type>.json``) and of the
feedback it reads back (``<agency>/feedback/<type>.json``), and the document's
``<agency>Inbound`` and ``<agency>Feedback`` channels.

For the platform itself, one AsyncAPI 3.0 document per audience that stays
inside it: ``asyncapi-internal.yaml`` (between a Mission's services; marked
internal: it never leaves the Mission's vhost) and ``asyncapi-sector.yaml``
(a Mission to InterMire, and InterMire's signals back to the Missions) and
``asyncapi-transfer.yaml`` (a person's file handed from one Mission to another).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from contracts.agency import inbound
from contracts.agency.catalogue import AGENCIES, CATALOGUE
from contracts.agency.disclosure import allowed_fields
from contracts.catalogue import of_audience
from contracts.envelope import BATCH, EXCHANGES, SPECVERSION, STRUCTURED, TYPE_PATTERN, dataschema
from contracts.jsonschema import DRAFT, object_schema
from contracts.payloads import Payload
from contracts.samples import inbound_samples, samples

ROOT = Path(__file__).resolve().parent
CONTRACT_VERSION = "1.0.0"
AGENCY_NAMES = {"forem": "Le Forem", "actiris": "Actiris"}
SCHEMA_BASE = "https://passerelle.mire.be/contracts/schemas"


def envelope_schema(agency: str, event_type: str) -> dict[str, Any]:
    """The CloudEvent ``agency`` receives for ``event_type``."""
    kind = CATALOGUE[event_type]
    data = object_schema(kind.payload, only=allowed_fields(agency, event_type))
    return {
        "type": "object",
        "title": f"{event_type} for {AGENCY_NAMES[agency]}",
        "description": kind.summary
        + (
            f" Deprecated: no longer published after {kind.deprecated[0]}; use {kind.deprecated[1]}."
            if kind.deprecated
            else ""
        ),
        **({"deprecated": True} if kind.deprecated else {}),
        "properties": {
            "specversion": {"const": SPECVERSION},
            "id": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "description": "unique per event, kept by replays: the deduplication key",
            },
            "source": {"type": "string", "pattern": r"^/missions/[a-z0-9-]+/" + kind.producer + "$"},
            "type": {"const": event_type, "pattern": TYPE_PATTERN},
            "time": {"type": "string", "format": "date-time"},
            "subject": (
                {"type": "string", "minLength": 1, "description": "the agency's file reference"}
                if kind.personal
                else {"type": "string", "minLength": 1, "description": "the convention's reference"}
            ),
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"const": dataschema("agency", event_type)},
            "data": data,
        },
        "required": ["specversion", "id", "source", "type", "time", "subject", "dataschema", "data"],
        "additionalProperties": False,
    }


def inbound_envelope_schema(agency: str, event_type: str) -> dict[str, Any]:
    """The CloudEvent ``agency`` sends a Mission for ``event_type`` (``contracts.agency.inbound``)."""
    cls = inbound.INBOUND[event_type]
    return {
        "type": "object",
        "title": f"{event_type} from {AGENCY_NAMES[agency]}",
        "description": cls.SUMMARY
        + " Publish it to the exchange "
        + f"'{agency}.inbound' on /agencies with the routing key '<mission code>.{event_type}'.",
        "properties": {
            "specversion": {"const": SPECVERSION},
            "id": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "description": "unique per event: the Mission applies an id once, a republished copy is ignored",
            },
            "source": {"const": f"/agencies/{agency}"},
            "type": {"const": event_type, "pattern": TYPE_PATTERN},
            "time": {"type": "string", "format": "date-time"},
            "subject": {
                "type": "string",
                "minLength": 1,
                "maxLength": 50,
                "description": "the agency's file reference of the person (as data.agency_reference)",
            },
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"const": dataschema("inbound", event_type)},
            "data": object_schema(cls),
        },
        "required": ["specversion", "id", "source", "type", "time", "subject", "dataschema", "data"],
        "additionalProperties": False,
    }


def feedback_envelope_schema(agency: str) -> dict[str, Any]:
    """The CloudEvent a Mission sends ``agency`` when it refuses one of its events."""
    cls = inbound.AgencyEventRefused
    return {
        "type": "object",
        "title": f"{cls.TYPE} for {AGENCY_NAMES[agency]}",
        "description": cls.SUMMARY,
        "properties": {
            "specversion": {"const": SPECVERSION},
            "id": {"type": "string", "minLength": 1, "maxLength": 64, "description": "the deduplication key"},
            "source": {"type": "string", "pattern": r"^/missions/[a-z0-9-]+/beneficiary$"},
            "type": {"const": cls.TYPE, "pattern": TYPE_PATTERN},
            "time": {"type": "string", "format": "date-time"},
            "subject": {"type": "string", "minLength": 1, "description": "the refused event's id"},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"const": dataschema("feedback", cls.TYPE)},
            "data": object_schema(cls),
        },
        "required": ["specversion", "id", "source", "type", "time", "subject", "dataschema", "data"],
        "additionalProperties": False,
    }


def json_schemas() -> dict[str, dict[str, Any]]:
    """Relative path → JSON Schema document: what each agency receives (``<agency>/<type>.json``), sends
    (``<agency>/inbound/<type>.json``) and reads back when a Mission refuses (``<agency>/feedback/<type>.json``)."""
    out = {}
    for agency in AGENCIES:
        for event_type in CATALOGUE:
            path = f"schemas/{agency}/{event_type}.json"
            out[path] = {
                "$schema": DRAFT,
                "$id": f"{SCHEMA_BASE}/{agency}/{event_type}.json",
                **envelope_schema(agency, event_type),
            }
        for event_type in inbound.INBOUND:
            out[f"schemas/{agency}/inbound/{event_type}.json"] = {
                "$schema": DRAFT,
                "$id": f"{SCHEMA_BASE}/{agency}/inbound/{event_type}.json",
                **inbound_envelope_schema(agency, event_type),
            }
        refused = inbound.EVENT_REFUSED
        out[f"schemas/{agency}/feedback/{refused}.json"] = {
            "$schema": DRAFT,
            "$id": f"{SCHEMA_BASE}/{agency}/feedback/{refused}.json",
            **feedback_envelope_schema(agency),
        }
    return out


def _message_key(agency: str, event_type: str) -> str:
    return f"{agency}.{event_type}"


REGISTRY = ROOT.parent / "config" / "missions.yaml"
_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::((?:[^{}]|\{[^{}]*\})*))?\}")


def agency_servers(registry: Path = REGISTRY) -> dict[str, Any]:
    """The AsyncAPI servers: the agencies' AMQPS endpoints listed in the Mission registry.

    The registry is read as a data file, each ``${ENV:default}`` taken at its committed default (the
    document describes the platform as committed, not one shell's overrides); the contract layer
    imports nothing of ``kit``.
    """
    data = yaml.safe_load(_DEFAULT.sub(lambda m: m.group(1) or "", registry.read_text()))
    servers = (data["platform"].get("agencies") or {}).get("servers") or {}
    if not servers:
        raise SystemExit(f"{registry}: platform.agencies.servers lists no AMQPS endpoint for the agencies")
    return {
        name: {
            "host": f"{server['host']}:{server['port']}",
            "protocol": "amqps",
            "protocolVersion": "0.9.1",
            "pathname": "/agencies",
            "title": f"The agencies' vhost ({name})",
            "description": (
                server.get("description", "") + " Each agency connects with its own broker user, "
                "read-only on its own queues of /agencies; no other vhost admits it."
            ).strip(),
            "security": [{"$ref": "#/components/securitySchemes/agencyUser"}],
        }
        for name, server in servers.items()
    }


def asyncapi() -> dict[str, Any]:
    servers = agency_servers()
    channels, operations, messages, schemas = {}, {}, {}, {}
    for agency in AGENCIES:
        channel = f"{agency}Events"
        channel_messages = {}
        for event_type, kind in CATALOGUE.items():
            key = _message_key(agency, event_type)
            schemas[key] = envelope_schema(agency, event_type)
            messages[key] = {
                "name": event_type,
                "title": event_type,
                "summary": kind.summary,
                "contentType": STRUCTURED,
                "payload": {"$ref": f"#/components/schemas/{key}"},
                "correlationId": {
                    "location": "$message.payload#/id",
                    "description": "CloudEvents id: deduplicate on it",
                },
            }
            channel_messages[event_type.replace(".", "_")] = {"$ref": f"#/components/messages/{key}"}
        channels[channel] = {
            "address": f"{agency}.events",
            "title": f"{AGENCY_NAMES[agency]}'s events",
            "description": (
                f"Durable quorum queue on vhost /agencies, filled by the Missions' shovels with the "
                f"events routed to {AGENCY_NAMES[agency]} (routing key '{agency}.<type>'). Only the "
                f"'{agency}' broker user may read it (and {agency}.events.dead); it may publish "
                f"nowhere. A message rejected without requeue, or delivered 5 times, goes to "
                f"{agency}.events.dead."
            ),
            "servers": [{"$ref": f"#/servers/{name}"} for name in servers],
            "messages": channel_messages,
            "bindings": {
                "amqp": {
                    "is": "queue",
                    "queue": {
                        "name": f"{agency}.events",
                        "durable": True,
                        "exclusive": False,
                        "autoDelete": False,
                        "vhost": "/agencies",
                    },
                    "bindingVersion": "0.3.0",
                }
            },
        }
        operations[f"receive{agency.capitalize()}Events"] = {
            "action": "receive",
            "title": f"{AGENCY_NAMES[agency]} consumes its events",
            "summary": "Acknowledge after processing; deduplicate on the CloudEvents id; reject what cannot "
            "be read (it is dead-lettered).",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{m}"} for m in channel_messages],
            "bindings": {"amqp": {"ack": True, "deliveryMode": 2, "bindingVersion": "0.3.0"}},
        }
        _inbound_channels(agency, servers, channels, operations, messages, schemas)
    return {
        "asyncapi": "3.0.0",
        "id": "urn:passerelle:agency-events",
        "info": {
            "title": "Passerelle — events for Le Forem and Actiris",
            "version": CONTRACT_VERSION,
            "description": (
                "What the Missions Régionales pour l'Emploi publish to the public employment agencies: "
                "CloudEvents 1.0 in structured JSON mode (one event per message, content type "
                f"{STRUCTURED}), only under a legal basis or the person's "
                "consent, with the per-agency field policy applied. And what the agencies send the Missions: "
                "each agency publishes to its own exchange (<agency>.inbound, routing key '<mission code>.<type>'), "
                "and reads on its feedback queue (<agency>.feedback) every event a Mission refused, with why. "
                "Rules: contracts/README.md. "
                "Generated by `python -m contracts.generate`; do not edit by hand."
            ),
        },
        "defaultContentType": STRUCTURED,
        "servers": servers,
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "securitySchemes": {"agencyUser": {"type": "userPassword", "description": "the agency's own broker user"}},
        },
    }


def _inbound_channels(
    agency: str,
    servers: dict[str, Any],
    channels: dict[str, Any],
    operations: dict[str, Any],
    messages: dict[str, Any],
    schemas: dict[str, Any],
) -> None:
    """The agency's inbound exchange (it sends) and its feedback queue (it receives), into the AsyncAPI parts."""
    name = AGENCY_NAMES[agency]
    sent = {}
    for event_type, cls in inbound.INBOUND.items():
        key = f"{agency}.inbound.{event_type}"
        schemas[key] = inbound_envelope_schema(agency, event_type)
        messages[key] = {
            "name": event_type,
            "title": event_type,
            "summary": cls.SUMMARY,
            "contentType": STRUCTURED,
            "payload": {"$ref": f"#/components/schemas/{key}"},
            "correlationId": {"location": "$message.payload#/id", "description": "CloudEvents id: applied once"},
        }
        sent[event_type.replace(".", "_")] = {"$ref": f"#/components/messages/{key}"}
    channels[f"{agency}Inbound"] = {
        "address": f"{agency}.inbound",
        "title": f"What {name} sends the Missions",
        "description": (
            f"Topic exchange on vhost /agencies that only the '{agency}' broker user may publish to. Routing key: "
            f"'<mission code>.<event type>'; the broker carries the message into that Mission and nowhere else "
            f"(a key naming no Mission is dropped: publish with mandatory to hear of it). One CloudEvent per "
            f"message, {STRUCTURED}, persistent; use publisher confirms. The Mission applies each event id once; "
            f"a refused event is reported on {agency}.feedback."
        ),
        "servers": [{"$ref": f"#/servers/{s}"} for s in servers],
        "messages": sent,
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {
                    "name": f"{agency}.inbound",
                    "type": "topic",
                    "durable": True,
                    "autoDelete": False,
                    "vhost": "/agencies",
                },
                "bindingVersion": "0.3.0",
            }
        },
    }
    operations[f"send{agency.capitalize()}Inbound"] = {
        "action": "send",
        "title": f"{name} tells a Mission what it knows of a person",
        "summary": "Address the Mission by the routing key and data.mission, the person by the agency's own file "
        "reference (subject and data.agency_reference), as the Mission's events about them name it.",
        "channel": {"$ref": f"#/channels/{agency}Inbound"},
        "messages": [{"$ref": f"#/channels/{agency}Inbound/messages/{m}"} for m in sent],
        "bindings": {"amqp": {"deliveryMode": 2, "mandatory": True, "bindingVersion": "0.3.0"}},
    }
    refused = inbound.AgencyEventRefused
    key = f"{agency}.feedback.{refused.TYPE}"
    schemas[key] = feedback_envelope_schema(agency)
    messages[key] = {
        "name": refused.TYPE,
        "title": refused.TYPE,
        "summary": refused.SUMMARY,
        "contentType": STRUCTURED,
        "payload": {"$ref": f"#/components/schemas/{key}"},
        "correlationId": {"location": "$message.payload#/data/event_id", "description": "the refused event's id"},
    }
    channels[f"{agency}Feedback"] = {
        "address": f"{agency}.feedback",
        "title": f"{name}'s refused events",
        "description": (
            f"Durable quorum queue on vhost /agencies that only the '{agency}' broker user may read: one event per "
            f"inbound event a Mission refused (a person it does not know by that reference, an unknown type or "
            f"version, data outside the schema), with the refused event's id and type and the reason. The refused "
            f"event was not applied; fix it and publish it again (a new id)."
        ),
        "servers": [{"$ref": f"#/servers/{s}"} for s in servers],
        "messages": {refused.TYPE.replace(".", "_"): {"$ref": f"#/components/messages/{key}"}},
        "bindings": {
            "amqp": {
                "is": "queue",
                "queue": {
                    "name": f"{agency}.feedback",
                    "durable": True,
                    "exclusive": False,
                    "autoDelete": False,
                    "vhost": "/agencies",
                },
                "bindingVersion": "0.3.0",
            }
        },
    }
    operations[f"receive{agency.capitalize()}Feedback"] = {
        "action": "receive",
        "title": f"{name} reads why a Mission refused its events",
        "channel": {"$ref": f"#/channels/{agency}Feedback"},
        "messages": [{"$ref": f"#/channels/{agency}Feedback/messages/{refused.TYPE.replace('.', '_')}"}],
        "bindings": {"amqp": {"ack": True, "deliveryMode": 2, "bindingVersion": "0.3.0"}},
    }


def platform_envelope(cls: type[Payload]) -> dict[str, Any]:
    """The CloudEvent of an internal, sector or signal event type (whole envelope, ``data`` from its class)."""
    producer = cls.TYPE.split(".")[2]
    source = (
        r"^/intermire/" + producer + "$" if cls.AUDIENCE == "signal" else r"^/missions/[a-z0-9-]+/" + producer + "$"
    )
    return {
        "type": "object",
        "title": f"{cls.TYPE} ({cls.AUDIENCE})",
        "description": cls.SUMMARY,
        "properties": {
            "specversion": {"const": SPECVERSION},
            "id": {"type": "string", "minLength": 1, "maxLength": 64, "description": "the deduplication key"},
            "source": {"type": "string", "pattern": source},
            "type": {"const": cls.TYPE, "pattern": TYPE_PATTERN},
            "time": {"type": "string", "format": "date-time"},
            "subject": {"type": ["string", "null"], "description": "the entity's reference (a pseudonym for sector)"},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"const": dataschema(cls.AUDIENCE, cls.TYPE)},
            "data": object_schema(cls),
        },
        "required": ["specversion", "id", "source", "type", "time", "dataschema", "data"],
        "additionalProperties": False,
    }


# Per platform document: its title and description, and the audiences (exchanges) it describes.
PLATFORM_DOCUMENTS = {
    "asyncapi-internal.yaml": (
        "internal",
        "Passerelle — events between a Mission's services (internal only)",
        "INTERNAL ONLY: not published to anyone outside the platform. What a Mission's services (beneficiary, "
        "employer, convention, matching) tell each other and reporting, on the Mission's own vhost; nothing "
        "here leaves the Mission. References, codes, counts and dates: never a name, a national number, an "
        "accompaniment note or target-group evidence.",
        ("internal",),
    ),
    "asyncapi-sector.yaml": (
        "sector",
        "Passerelle — events between the Missions and InterMire (platform only)",
        "Not published outside the platform. What each Mission sends InterMire (the sector exchange, carried "
        "by the Mission's to-sector shovel to /intermire): pseudonyms, codes, bands, months and counts; and "
        "what InterMire signals back to the Missions concerned (the signals exchange, the addressee Mission's "
        "code in front of the routing key): pseudonyms only.",
        ("sector", "signal"),
    ),
    "asyncapi-transfer.yaml": (
        "transfer",
        "Passerelle — a person's file handed from one Mission to another (platform only)",
        "Not published outside the platform, and never through InterMire or an agency. A request carries the "
        "person's file (identity with the national number, path, plan; accompaniment notes only with the "
        "person's consent) from the sending Mission to the one it names; the answer (accepted or declined) "
        "goes back without personal data. Each Mission's to-transfers shovel carries its transfers to the "
        "transfers vhost, whose one queue per Mission is shovelled into that Mission's "
        "passerelle.transfers.in exchange: a Mission receives only the transfers addressed to it.",
        ("transfer",),
    ),
}
CHANNEL_TEXT = {
    "internal": "Topic exchange on each Mission's vhost; routing key: the event type. Every consumer has its own "
    "quorum queue bound to the types it handles (kit.consumer), declared before anything is published.",
    "sector": "Topic exchange on each Mission's vhost, drained by the Mission's to-sector shovel into the same "
    "exchange on /intermire; routing key: the event type.",
    "signal": "Topic exchange on /intermire, drained by a shovel per Mission into that Mission's vhost; routing "
    "key: '<mission code>.<event type>'.",
    "transfer": "Topic exchange on each Mission's vhost, drained by its to-transfers shovel into the same exchange on "
    "the transfers vhost, where a queue per Mission (bound '<mission code>.#') is shovelled into that Mission's "
    "passerelle.transfers.in exchange; routing key: '<addressee mission code>.<event type>'.",
}


def platform_asyncapi(name: str) -> dict[str, Any]:
    key, title, description, audiences = PLATFORM_DOCUMENTS[name]
    channels, operations, messages, schemas = {}, {}, {}, {}
    for audience in audiences:
        channel = f"{audience}Events"
        by_producer: dict[str, list[str]] = {}
        channel_messages = {}
        for event_type, cls in sorted(of_audience(audience).items()):
            schemas[event_type] = platform_envelope(cls)
            messages[event_type] = {
                "name": event_type,
                "title": event_type,
                "summary": cls.SUMMARY,
                "contentType": STRUCTURED,
                "payload": {"$ref": f"#/components/schemas/{event_type}"},
                "correlationId": {"location": "$message.payload#/id", "description": "CloudEvents id"},
            }
            message = event_type.replace(".", "_")
            channel_messages[message] = {"$ref": f"#/components/messages/{event_type}"}
            by_producer.setdefault(event_type.split(".")[2], []).append(message)
        channels[channel] = {
            "address": EXCHANGES[audience],
            "title": f"The {audience} exchange",
            "description": CHANNEL_TEXT[audience],
            "messages": channel_messages,
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {"name": EXCHANGES[audience], "type": "topic", "durable": True, "autoDelete": False},
                    "bindingVersion": "0.3.0",
                }
            },
        }
        for producer, names in sorted(by_producer.items()):
            operations[f"{producer}Sends{audience.capitalize()}"] = {
                "action": "send",
                "title": f"{producer} publishes its {audience} events",
                "summary": "Through its transactional outbox: the event is committed with the change it tells of, "
                "and published after commit (at least once; consumers deduplicate on the CloudEvents id).",
                "channel": {"$ref": f"#/channels/{channel}"},
                "messages": [{"$ref": f"#/channels/{channel}/messages/{m}"} for m in names],
                "bindings": {"amqp": {"deliveryMode": 2, "bindingVersion": "0.3.0"}},
            }
    return {
        "asyncapi": "3.0.0",
        "id": f"urn:passerelle:{key}-events",
        "info": {
            "title": title,
            "version": CONTRACT_VERSION,
            "description": description
            + f" CloudEvents 1.0 in structured JSON mode: one event per message ({STRUCTURED}), or a run of events "
            f"of one type (internal or sector) packed in one message in the JSON batch format ({BATCH})."
            + " Generated by `python -m contracts.generate`; do not edit by hand.",
            "tags": [{"name": f"audience:{audience}"} for audience in audiences]
            + ([{"name": "internal-only"}] if key == "internal" else [{"name": "platform-only"}]),
        },
        "defaultContentType": STRUCTURED,
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def rendered() -> dict[str, str]:
    """Relative path → file content, exactly as committed."""
    files = {"asyncapi.yaml": yaml.safe_dump(asyncapi(), sort_keys=False, allow_unicode=True, width=110)}
    for name in PLATFORM_DOCUMENTS:
        files[name] = yaml.safe_dump(platform_asyncapi(name), sort_keys=False, allow_unicode=True, width=110)
    for path, doc in json_schemas().items():
        files[path] = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    for path, event in {**samples(), **inbound_samples()}.items():
        files[path] = json.dumps(event, indent=2, ensure_ascii=False) + "\n"
    return files


def differences(root: Path = ROOT) -> list[str]:
    """Files that are missing, stale, or no longer generated."""
    files = rendered()
    stale = [p for p, text in files.items() if not (root / p).is_file() or (root / p).read_text() != text]
    extra = [
        str(p.relative_to(root))
        for folder in ("schemas", "examples")
        if (root / folder).is_dir()
        for p in (root / folder).rglob("*.json")
        if str(p.relative_to(root)) not in files
    ]
    return sorted(stale + extra)


def write(root: Path = ROOT) -> None:
    for path, text in rendered().items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed files are not up to date")
    args = parser.parse_args(argv)
    if args.check:
        stale = differences()
        for path in stale:
            print(f"contracts/{path} is not up to date: run python -m contracts.generate", file=sys.stderr)
        return 1 if stale else 0
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
