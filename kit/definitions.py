"""The broker topology as files: a RabbitMQ definitions file and Messaging Topology Operator resources.

``kit.topology`` declares the platform through the management API and is the
single source of the topology: its names, queue arguments and permission
regexes. This module does not restate any of them. It runs ``Topology``
against a *recorder* that stands in for the management API, collects every
declaration, and renders what it collected:

* ``rabbitmq_definitions(registry)``: a definitions file that RabbitMQ loads
  at boot (``load_definitions``), for ``docker-compose.yml``;
* ``node_definitions(registry)``: the same document for the embedded node,
  which loads it at boot (``up``; ``runtime/rabbit_node.py``);
* ``declare(registry)``: the same document imported into a running broker
  through its management API (``passerelle broker-setup`` and ``up`` with
  someone else's broker);
* ``operator_resources(registry)``: ``rabbitmq.com/v1beta1`` resources
  (Vhost, User, Permission, Policy, Exchange, Queue, Binding, Shovel) for the
  RabbitMQ Messaging Topology Operator, grouped by the Kubernetes overlay
  that owns them: each site's own, and ``platform`` for what is shared
  (``/agencies``, the gateway, shovel and agency users).

Credentials: the definitions file carries salted SHA-256 password hashes, and
the shovels' URIs (a shovel cannot read a password from elsewhere), so it is
rendered at start from the environment (``python -m kit.definitions
rabbitmq``) and never committed. Operator resources never carry a secret:
users import theirs from ``broker-<user>`` Secrets and shovels read their
URIs from ``shovel-<name>`` Secrets, both created out of band.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from kit.registry import Registry
from kit.registry import load as load_registry
from kit.topology import Topology, management_for

API_VERSION = "rabbitmq.com/v1beta1"
CLUSTER = "passerelle-rabbitmq"
CLUSTER_NAMESPACE = "passerelle-platform"
PLATFORM = "platform"
# Spread quorum queue leaders over the cluster's nodes (RabbitMQ 3.12+); the
# queues' own arguments (delivery limit, dead-lettering) are set at
# declaration by kit.topology and need no policy.
LEADER_POLICY: dict[str, Any] = {
    "name": "passerelle-quorum-leaders",
    "pattern": ".*",
    "applyTo": "queues",
    "priority": 0,
    "definition": {"queue-leader-locator": "balanced"},
}


@dataclass
class Recorder:
    """Stands in for ``kit.topology.Management``: records what would be declared, declares nothing."""

    vhosts: list = field(default_factory=list)
    users: list = field(default_factory=list)
    permissions: list = field(default_factory=list)
    exchanges: list = field(default_factory=list)
    queues: list = field(default_factory=list)
    bindings: list = field(default_factory=list)
    shovels: list = field(default_factory=list)

    def put(self, path: str, body: dict):
        parts = [unquote(p) for p in path.strip("/").split("/")]
        kind = parts[0]
        if kind == "vhosts":
            _add(self.vhosts, {"name": parts[1]}, key=("name",))
        elif kind == "users":
            _add(
                self.users,
                {"name": parts[1], "password": body["password"], "tags": body.get("tags", "")},
                key=("name",),
            )
        elif kind == "permissions":
            _add(self.permissions, {"vhost": parts[1], "user": parts[2], **body}, key=("vhost", "user"))
        elif kind == "exchanges":
            _add(self.exchanges, {"vhost": parts[1], "name": parts[2], **body}, key=("vhost", "name"))
        elif kind == "queues":
            _add(self.queues, {"vhost": parts[1], "name": parts[2], **body}, key=("vhost", "name"))
        elif kind == "parameters" and parts[1] == "shovel":
            _add(self.shovels, {"vhost": parts[2], "name": parts[3], "value": body["value"]}, key=("vhost", "name"))
        else:
            raise ValueError(f"the recorder does not know PUT {path}: teach kit.definitions about it")

    def post(self, path: str, body: dict):
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[0] == "bindings" and parts[2] == "e" and parts[4] == "q":
            _add(
                self.bindings,
                {
                    "vhost": parts[1],
                    "source": parts[3],
                    "destination": parts[5],
                    "routing_key": body.get("routing_key", ""),
                },
                key=("vhost", "source", "destination", "routing_key"),
            )
        else:
            raise ValueError(f"the recorder does not know POST {path}: teach kit.definitions about it")

    def get(self, path: str, ok=(200,)):
        raise ValueError(f"broker setup must not read the broker to declare it (GET {path})")

    def delete(self, path: str):
        raise ValueError(f"broker setup must not delete anything (DELETE {path})")


def _add(items: list, item: dict, key: tuple):
    """Later declarations of the same object replace earlier ones, as the management API's PUT does."""
    for i, existing in enumerate(items):
        if all(existing[k] == item[k] for k in key):
            items[i] = item
            return
    items.append(item)


def record(registry: Registry) -> Recorder:
    recorder = Recorder()
    Topology(registry, recorder).declare_all()
    return recorder


# -- RabbitMQ definitions file (docker-compose) ---------------------------
def password_hash(user: str, password: str) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password)).

    The salt is derived from the user name so that rendering twice gives the same file.
    """
    salt = hashlib.sha256(b"passerelle-salt:" + user.encode()).digest()[:4]
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def rabbitmq_definitions(registry: Registry) -> dict:
    rec = record(registry)
    admin = registry.broker["admin_user"]
    users = [
        {
            "name": admin,
            "password_hash": password_hash(admin, registry.broker["admin_password"]),
            "hashing_algorithm": "rabbit_password_hashing_sha256",
            "tags": "administrator",
        }
    ]
    users += [
        {
            "name": u["name"],
            "password_hash": password_hash(u["name"], u["password"]),
            "hashing_algorithm": "rabbit_password_hashing_sha256",
            "tags": u["tags"],
        }
        for u in rec.users
        if u["name"] != admin
    ]
    return {
        "users": users,
        "vhosts": [{"name": v["name"]} for v in rec.vhosts],
        "permissions": rec.permissions,
        "exchanges": [
            {
                "name": e["name"],
                "vhost": e["vhost"],
                "type": e["type"],
                "durable": e["durable"],
                "auto_delete": False,
                "internal": False,
                "arguments": {},
            }
            for e in rec.exchanges
        ],
        "queues": [
            {
                "name": q["name"],
                "vhost": q["vhost"],
                "durable": q["durable"],
                "auto_delete": False,
                "arguments": q["arguments"],
            }
            for q in rec.queues
        ],
        "bindings": [
            {
                "source": b["source"],
                "vhost": b["vhost"],
                "destination": b["destination"],
                "destination_type": "queue",
                "routing_key": b["routing_key"],
                "arguments": {},
            }
            for b in rec.bindings
        ],
        "parameters": [
            {"component": "shovel", "vhost": s["vhost"], "name": s["name"], "value": s["value"]} for s in rec.shovels
        ],
        "policies": [],
    }


def node_definitions(registry: Registry) -> str:
    """The definitions file the embedded node loads at boot (``runtime.rabbit_node``), as text.

    The whole topology, the admin user and the default vhost ``/`` (a node that loads definitions at boot creates
    neither itself), rendered the same way every time, so that comparing the text tells whether it changed.
    """
    defs = rabbitmq_definitions(registry)
    admin = registry.broker["admin_user"]
    defs["vhosts"].insert(0, {"name": "/"})
    defs["permissions"].insert(0, {"vhost": "/", "user": admin, "configure": ".*", "write": ".*", "read": ".*"})
    return json.dumps(defs, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def declare(registry: Registry) -> list[str]:
    """Declare the whole topology on the registry's broker in one definitions import; returns the vhosts.

    The objects are those ``Topology.declare_all`` would declare with some 1,200 idempotent management calls;
    RabbitMQ imports them from one ``POST /api/definitions`` in a fraction of the time (about 3 s instead of
    17 s the first time, 0.3 s instead of 5 s when everything exists, on the 2-core reference machine). The
    broker's admin user, the one making the call, is left as it is.
    """
    defs = rabbitmq_definitions(registry)
    admin = registry.broker["admin_user"]
    defs["users"] = [u for u in defs["users"] if u["name"] != admin]
    management_for(registry).post("/definitions", defs)
    return [v["name"] for v in defs["vhosts"]]


# -- Messaging Topology Operator resources (Kubernetes) -------------------
def slug(*parts: str) -> str:
    """DNS-1123 name of a broker object (`/mission-mirec`, `beneficiary.on_x` -> `mission-mirec-beneficiary-on-x`)."""
    text = "-".join(p for p in parts if p)
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(text) > 63:
        text = text[:54].rstrip("-") + "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return text


def user_secret(user: str) -> str:
    """The Secret holding a broker user's ``username`` and ``password`` (the service's env reads it too)."""
    return slug("broker", user)


def shovel_secret(vhost: str, name: str) -> str:
    """The Secret holding a shovel's ``srcUri`` and ``destUri``."""
    return slug("shovel", vhost, name)


def _owner(registry: Registry) -> dict[str, str]:
    """vhost -> overlay that owns its resources."""
    owners = {site.vhost: site.code for site in registry.sites}
    owners[registry.agencies_vhost] = PLATFORM
    owners[registry.transfers_vhost] = PLATFORM
    return owners


def _user_owner(registry: Registry, user: str) -> str:
    for site in registry.sites:
        if user in {site.broker_user(s) for s in site.services}:
            return site.code
    return PLATFORM


def _resource(kind: str, name: str, spec: dict) -> dict:
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name},
        "spec": {**spec, "rabbitmqClusterReference": {"name": CLUSTER, "namespace": CLUSTER_NAMESPACE}},
    }


def operator_resources(registry: Registry) -> dict[str, list[dict]]:
    """Overlay name (site code or ``platform``) -> its Topology Operator resources."""
    rec = record(registry)
    owner = _owner(registry)
    out: dict[str, list[dict]] = defaultdict(list)
    admin = registry.broker["admin_user"]
    for v in rec.vhosts:
        out[owner[v["name"]]].append(_resource("Vhost", slug("vhost", v["name"]), {"name": v["name"]}))
        out[owner[v["name"]]].append(
            _resource("Policy", slug("policy", v["name"], LEADER_POLICY["name"]), {**LEADER_POLICY, "vhost": v["name"]})
        )
    for u in rec.users:
        out[_user_owner(registry, u["name"])].append(
            _resource(
                "User",
                slug("user", u["name"]),
                {
                    "tags": [t for t in u["tags"].split(",") if t],
                    "importCredentialsSecret": {"name": user_secret(u["name"])},
                },
            )
        )
    for p in rec.permissions:
        if p["user"] == admin:
            continue  # the operator's own default user administers every vhost
        out[owner[p["vhost"]]].append(
            _resource(
                "Permission",
                slug("permission", p["vhost"], p["user"]),
                {
                    "vhost": p["vhost"],
                    "user": p["user"],
                    "permissions": {"configure": p["configure"], "write": p["write"], "read": p["read"]},
                },
            )
        )
    for e in rec.exchanges:
        out[owner[e["vhost"]]].append(
            _resource(
                "Exchange",
                slug("exchange", e["vhost"], e["name"]),
                {
                    "name": e["name"],
                    "vhost": e["vhost"],
                    "type": e["type"],
                    "durable": e["durable"],
                    "autoDelete": False,
                },
            )
        )
    for q in rec.queues:
        arguments = {k: v for k, v in q["arguments"].items() if k != "x-queue-type"}
        spec = {
            "name": q["name"],
            "vhost": q["vhost"],
            "type": q["arguments"].get("x-queue-type", "classic"),
            "durable": q["durable"],
            "autoDelete": False,
        }
        if arguments:
            spec["arguments"] = arguments
        out[owner[q["vhost"]]].append(_resource("Queue", slug("queue", q["vhost"], q["name"]), spec))
    for b in rec.bindings:
        out[owner[b["vhost"]]].append(
            _resource(
                "Binding",
                slug("binding", b["vhost"], b["source"], b["destination"], b["routing_key"]),
                {
                    "vhost": b["vhost"],
                    "source": b["source"],
                    "destination": b["destination"],
                    "destinationType": "queue",
                    "routingKey": b["routing_key"],
                },
            )
        )
    for s in rec.shovels:
        v = s["value"]
        dest_vhost = unquote(urlsplit(v["dest-uri"]).path.lstrip("/"))
        out[owner[s["vhost"]]].append(
            _resource(
                "Shovel",
                slug("shovel", s["vhost"], s["name"]),
                {
                    "name": s["name"],
                    "vhost": s["vhost"],
                    # srcUri and destUri (with the shovel user's password) live in this Secret, never here.
                    "uriSecret": {"name": shovel_secret(s["vhost"], s["name"])},
                    "srcProtocol": v["src-protocol"],
                    "srcQueue": v["src-queue"],
                    "destProtocol": v["dest-protocol"],
                    "destExchange": v["dest-exchange"],
                    "ackMode": v["ack-mode"],
                    "reconnectDelay": v["reconnect-delay"],
                }
                | ({"addForwardHeaders": True} if v.get("add-forward-headers") else {}),
            )
        )
        # Which vhost the shovel delivers to is in the Secret's destUri; say it where a reader looks.
        out[owner[s["vhost"]]][-1]["metadata"]["annotations"] = {"passerelle.be/destination-vhost": dest_vhost}
    return dict(out)


def secrets_needed(registry: Registry) -> dict[str, list[str]]:
    """Overlay -> names of the Secrets its resources reference (created out of band, never committed)."""
    rec = record(registry)
    owner = _owner(registry)
    needed: dict[str, list[str]] = defaultdict(list)
    for u in rec.users:
        if u["name"] != registry.broker["admin_user"]:
            needed[_user_owner(registry, u["name"])].append(user_secret(u["name"]))
    for s in rec.shovels:
        needed[owner[s["vhost"]]].append(shovel_secret(s["vhost"], s["name"]))
    return dict(needed)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kit.definitions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--registry", help="the registry file (default: PASSERELLE_REGISTRY or config/missions.yaml)")
    sub = parser.add_subparsers(dest="what", required=True)
    rabbit = sub.add_parser("rabbitmq", help="a RabbitMQ definitions file (JSON)")
    rabbit.add_argument("--out", "-o", help="file to write (default: standard output)")
    sub.add_parser("operator", help="Topology Operator resources of one overlay (YAML)").add_argument("overlay")
    args = parser.parse_args(argv)
    registry = load_registry(args.registry)
    if args.what == "rabbitmq":
        text = json.dumps(rabbitmq_definitions(registry), indent=2, ensure_ascii=False) + "\n"
        if args.out:
            path = Path(args.out)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            path.chmod(0o644)
            print(f"wrote {path}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    else:
        import yaml

        docs = operator_resources(registry).get(args.overlay)
        if docs is None:
            parser.error(f"no overlay named {args.overlay}")
        sys.stdout.write(yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
