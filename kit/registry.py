"""The Mission registry: which sites exist and where their parts live.

A *site* is a Mission (the five services on its own vhost, with its own
databases) or InterMire (reporting in sector mode on ``/intermire``). The
registry file (``config/missions.yaml``) is validated on load; every derived
value (vhost, broker user, AMQP URI, database URL, observability port) is
computed here and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from kit.broker import amqp_uri, password_for
from kit.config import ConfigError, load_yaml
from kit.retention import Periods, PeriodsSchema, periods

MISSION, INTERMIRE = "mission", "intermire"
AGENCIES_VHOST = "agencies"
# Where transfers between Missions pass (kit.topology): read by the shovel user alone, never by InterMire or an agency.
TRANSFERS_VHOST = "transfers"
CODE = validate.Regexp(r"^[a-z][a-z0-9]{1,19}$", error="must be 2-20 lower-case letters or digits")

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "missions.yaml"


class _BrokerSchema(Schema):
    # True: `up` runs a RabbitMQ node of its own under {data_dir}/broker on host:port (runtime/rabbit_node.py);
    # false: the broker at host:port is run by someone else (a system service, docker-compose, a cluster).
    embedded = fields.Boolean(load_default=False)
    # The embedded node with RabbitMQ's management plugins (its UI at management_url): off by default, since their
    # agent holds the node's clean stop for five seconds (runtime/rabbit_node.py).
    management_ui = fields.Boolean(load_default=False)
    # The embedded node's Erlang distribution and CLI ports (default: port + 20000 and port + 30000).
    dist_port = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 65535))
    ctl_port = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 65535))
    host = fields.String(required=True)
    port = fields.Integer(required=True, validate=validate.Range(1, 65535))
    management_url = fields.Url(required=True, require_tld=False)
    admin_user = fields.String(required=True)
    admin_password = fields.String(required=True)
    # Empty outside development unless the operator derives passwords from a secret of their own (kit.broker).
    secret = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=8, error="must be at least 8 characters")
    )
    heartbeat = fields.Integer(load_default=15, validate=validate.Range(5, 60))


class _GatewaySchema(Schema):
    host = fields.String(required=True)
    port = fields.Integer(required=True, validate=validate.Range(1, 65535))


class _ServerSchema(Schema):
    host = fields.String(required=True)
    port = fields.Integer(required=True, validate=validate.Range(1, 65535))
    description = fields.String(load_default="")


class _AgencyAccessSchema(Schema):
    """How Le Forem and Actiris reach ``/agencies`` from outside: AMQPS endpoints, their networks."""

    servers = fields.Dict(
        keys=fields.String(validate=CODE),
        values=fields.Nested(_ServerSchema),
        required=True,
        validate=validate.Length(min=1),
    )
    networks = fields.Dict(
        keys=fields.String(validate=CODE),
        values=fields.List(
            fields.String(validate=validate.Regexp(r"^[0-9a-fA-F:.]+/\d{1,3}$", error="must be a CIDR block")),
            validate=validate.Length(min=1),
        ),
        required=True,
    )


class _PlatformSchema(Schema):
    data_dir = fields.String(required=True)
    prefix = fields.String(
        load_default="",
        allow_none=True,
        validate=validate.Regexp(r"^[a-z0-9-]*$", error="lower-case letters, digits, '-'"),
    )
    database_url = fields.String(required=True)
    database_pool_size = fields.Integer(load_default=2, validate=validate.Range(1, 100))
    broker = fields.Nested(_BrokerSchema, required=True)
    rpc_timeout = fields.Float(load_default=10, validate=validate.Range(0.1, 300))
    gateway = fields.Nested(_GatewaySchema, required=True)
    # The front office (web/): `up` starts it beside the gateway when the registry names where it listens.
    web = fields.Nested(_GatewaySchema, load_default=None)
    observability_port_base = fields.Integer(load_default=9100, validate=validate.Range(1024, 65000))
    # 127.0.0.1 on one machine; 0.0.0.0 in a container, so that Prometheus and probes reach it.
    observability_host = fields.String(load_default="127.0.0.1")
    agencies = fields.Nested(_AgencyAccessSchema, load_default=None)
    # Retention periods every site keeps unless its own block says otherwise (kit.retention; defaults there).
    retention = fields.Nested(PeriodsSchema, load_default=dict)
    services = fields.Dict(
        keys=fields.String(validate=validate.OneOf([MISSION, INTERMIRE])),
        values=fields.Dict(keys=fields.String(), values=fields.String()),
        required=True,
    )


class _SiteSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    kind = fields.String(required=True, validate=validate.OneOf([MISSION, INTERMIRE]))
    name = fields.String(required=True)
    basin = fields.String(required=True)
    province = fields.String(load_default=None)
    vhost = fields.String(load_default=None)
    amqp_uri = fields.String(load_default=None)
    databases = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    # This site's own retention periods, over the platform's (kit.retention).
    retention = fields.Nested(PeriodsSchema, load_default=dict)


class _RegistrySchema(Schema):
    platform = fields.Nested(_PlatformSchema, required=True)
    sites = fields.List(fields.Nested(_SiteSchema), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _sector_retention_at_intermire(self, data: dict[str, Any], **kwargs: Any) -> None:
        """``sector_facts_years`` is how long InterMire keeps its sector facts: a Mission holds none."""
        for i, s in enumerate(data.get("sites", [])):
            if s["kind"] != INTERMIRE and "sector_facts_years" in (s.get("retention") or {}):
                raise ValidationError(
                    {str(i): {"retention": {"sector_facts_years": ["applies to the InterMire site only"]}}}, "sites"
                )

    @validates_schema
    def _unique_codes(self, data: dict[str, Any], **kwargs: Any) -> None:
        codes = [s["code"] for s in data.get("sites", [])]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValidationError(f"duplicate site codes: {', '.join(dupes)}", "sites")
        if sum(1 for s in data.get("sites", []) if s["kind"] == INTERMIRE) > 1:
            raise ValidationError("only one InterMire site", "sites")


@dataclass(frozen=True)
class Site:
    code: str
    kind: str
    name: str
    basin: str
    province: str | None
    index: int
    registry: Registry = field(repr=False, compare=False)
    vhost_override: str | None = None
    amqp_uri_override: str | None = None
    database_overrides: dict[str, Any] = field(default_factory=dict, compare=False)
    retention_overrides: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_mission(self) -> bool:
        return self.kind == MISSION

    @property
    def vhost(self) -> str:
        if self.vhost_override:
            return self.vhost_override
        base = f"mission-{self.code}" if self.is_mission else INTERMIRE
        return "/" + self.registry.prefix + base

    @property
    def services(self) -> dict[str, str]:
        """Service name -> ``module:Class`` for this site's kind."""
        return dict(self.registry.platform["services"].get(self.kind, {}))

    def broker_user(self, service: str) -> str:
        return f"{self.registry.prefix}{self.code}.{service}"

    def amqp_uri(self, service: str) -> str:
        if self.amqp_uri_override:
            return self.amqp_uri_override
        user = self.broker_user(service)
        return self.registry.amqp_uri_for(self.vhost, user)

    def database_url(self, service: str) -> str:
        if service in self.database_overrides:
            return self.database_overrides[service]
        return self.registry.database_url_for(self.code, service)

    @property
    def retention(self) -> Periods:
        """The site's retention periods: the defaults, the platform's block, then the site's own."""
        return periods(self.registry.platform["retention"], self.retention_overrides)

    @property
    def observability_port(self) -> int:
        return self.registry.platform["observability_port_base"] + self.index


class Registry:
    def __init__(self, data: dict[str, Any], path: Path):
        self.path = path
        self.platform = data["platform"]
        self.prefix = self.platform["prefix"] or ""
        data_dir = Path(self.platform["data_dir"])
        if not data_dir.is_absolute():
            data_dir = (DEFAULT_PATH.parent.parent / data_dir).resolve()
        self.data_dir = data_dir
        self.sites = [
            Site(
                code=s["code"],
                kind=s["kind"],
                name=s["name"],
                basin=s["basin"],
                province=s["province"],
                index=i,
                registry=self,
                vhost_override=s["vhost"],
                amqp_uri_override=s["amqp_uri"],
                database_overrides=s["databases"],
                retention_overrides=s["retention"],
            )
            for i, s in enumerate(data["sites"])
        ]
        self._by_code = {s.code: s for s in self.sites}

    @property
    def broker(self) -> dict[str, Any]:
        return self.platform["broker"]

    @property
    def missions(self) -> list[Site]:
        return [s for s in self.sites if s.is_mission]

    @property
    def intermire(self) -> Site | None:
        return next((s for s in self.sites if s.kind == INTERMIRE), None)

    @property
    def agencies_vhost(self) -> str:
        return "/" + self.prefix + AGENCIES_VHOST

    @property
    def transfers_vhost(self) -> str:
        return "/" + self.prefix + TRANSFERS_VHOST

    @property
    def agency_access(self) -> dict[str, Any]:
        """``servers`` (name -> host, port, description) and ``networks`` (agency -> CIDR blocks); empty if unset."""
        return self.platform.get("agencies") or {"servers": {}, "networks": {}}

    def site(self, code: str) -> Site:
        try:
            return self._by_code[code]
        except KeyError:
            known = ", ".join(self._by_code)
            raise ConfigError(f"unknown site '{code}' (the registry {self.path} lists: {known})") from None

    def password_for(self, user: str) -> str:
        return password_for(user, self.broker["secret"])

    def amqp_uri_for(self, vhost: str, user: str) -> str:
        return amqp_uri(self.broker["host"], self.broker["port"], vhost, user, self.password_for(user))

    def admin_amqp_uri(self, vhost: str) -> str:
        b = self.broker
        return amqp_uri(b["host"], b["port"], vhost, b["admin_user"], b["admin_password"])

    def database_url_for(self, site: str, service: str) -> str:
        template = self.platform["database_url"]
        return template.format(data_dir=self.data_dir, site=site, service=service, prefix=self.prefix.replace("-", "_"))


def load(path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Registry:
    path = Path(path or os.environ.get("PASSERELLE_REGISTRY") or DEFAULT_PATH)
    raw = load_yaml(path, environ)
    try:
        data = _RegistrySchema().load(raw or {})
    except ValidationError as exc:
        raise ConfigError(f"invalid registry {path}: {_flatten(exc.messages)}") from None
    return Registry(data, path)


def _flatten(messages: object, prefix: str = "") -> str:
    if isinstance(messages, dict):
        return "; ".join(_flatten(v, f"{prefix}{k}.") for k, v in messages.items())
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return f"{prefix.rstrip('.')}: {' '.join(messages)}"
    return f"{prefix.rstrip('.')}: {messages}"
