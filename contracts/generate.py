"""Generate the agency contract's published files from ``contracts.agency``.

    python -m contracts.generate          write contracts/asyncapi.yaml and contracts/schemas/
    python -m contracts.generate --check  exit 1 if the committed files differ from what would be written

Per agency and event type, a self-contained JSON Schema of the whole
CloudEvent as that agency receives it (``schemas/<agency>/<type>.json``: the
envelope, and ``data`` narrowed to the agency's field policy), and one
AsyncAPI 3.0 document describing the agencies' queues on ``/agencies``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

from contracts.agency.catalogue import AGENCIES, CATALOGUE
from contracts.agency.disclosure import allowed_fields
from contracts.envelope import SPECVERSION, TYPE_PATTERN, dataschema
from contracts.jsonschema import DRAFT, object_schema

ROOT = Path(__file__).resolve().parent
CONTRACT_VERSION = "1.0.0"
AGENCY_NAMES = {"forem": "Le Forem", "actiris": "Actiris"}
SCHEMA_BASE = "https://passerelle.mire.be/contracts/schemas"


def envelope_schema(agency: str, event_type: str) -> dict:
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


def json_schemas() -> dict[str, dict]:
    """Relative path → JSON Schema document."""
    out = {}
    for agency in AGENCIES:
        for event_type in CATALOGUE:
            path = f"schemas/{agency}/{event_type}.json"
            out[path] = {
                "$schema": DRAFT,
                "$id": f"{SCHEMA_BASE}/{agency}/{event_type}.json",
                **envelope_schema(agency, event_type),
            }
    return out


def _message_key(agency: str, event_type: str) -> str:
    return f"{agency}.{event_type}"


REGISTRY = ROOT.parent / "config" / "missions.yaml"
_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::((?:[^{}]|\{[^{}]*\})*))?\}")


def agency_servers(registry: Path = REGISTRY) -> dict:
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


def asyncapi() -> dict:
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
                "contentType": "application/json",
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
    return {
        "asyncapi": "3.0.0",
        "id": "urn:passerelle:agency-events",
        "info": {
            "title": "Passerelle — events for Le Forem and Actiris",
            "version": CONTRACT_VERSION,
            "description": (
                "What the Missions Régionales pour l'Emploi publish to the public employment agencies: "
                "CloudEvents 1.0 in structured JSON mode, only under a legal basis or the person's "
                "consent, with the per-agency field policy applied. Rules: contracts/README.md. "
                "Generated by `python -m contracts.generate`; do not edit by hand."
            ),
        },
        "defaultContentType": "application/json",
        "servers": servers,
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "securitySchemes": {"agencyUser": {"type": "userPassword", "description": "the agency's own broker user"}},
        },
    }


def rendered() -> dict[str, str]:
    """Relative path → file content, exactly as committed."""
    files = {"asyncapi.yaml": yaml.safe_dump(asyncapi(), sort_keys=False, allow_unicode=True, width=110)}
    for path, doc in json_schemas().items():
        files[path] = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return files


def differences(root: Path = ROOT) -> list[str]:
    """Files that are missing, stale, or no longer generated."""
    files = rendered()
    stale = [p for p, text in files.items() if not (root / p).is_file() or (root / p).read_text() != text]
    extra = (
        [str(p.relative_to(root)) for p in (root / "schemas").rglob("*.json") if str(p.relative_to(root)) not in files]
        if (root / "schemas").is_dir()
        else []
    )
    return sorted(stale + extra)


def write(root: Path = ROOT) -> None:
    for path, text in rendered().items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


def main(argv=None) -> int:
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
