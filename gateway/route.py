"""One HTTP operation of the gateway: what it needs (policy action, query, body) and which RPC serves it.

A ``Route`` drives everything the gateway does with an operation: dispatch
(``gateway.app``), authorisation (``kit.permissions``), validation of the query
string and the body through marshmallow schemas, the OpenAPI document
(``gateway.openapi``) and the authorisation-matrix test. The tables of
routes, one module per service, are in ``gateway.routes``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from marshmallow import EXCLUDE, Schema, fields, validate

MAX_PAGE_SIZE = 100
MAX_PAGE = 10**6
# Every object reference in a path: UUIDs and the services' own references (1 to 64 characters).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"


class _Query(Schema):
    class Meta:
        # A client may add a cache-buster or a tracking parameter: ignored, never passed on.
        unknown = EXCLUDE


def page_fields() -> dict:
    return {
        "page": fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE)),
        "page_size": fields.Integer(load_default=25, validate=validate.Range(1, MAX_PAGE_SIZE)),
    }


def purpose_field() -> fields.Field:
    # Why personal data is read: written to the audit trail by the gateway and by the service.
    return fields.String(load_default="accompaniment", validate=validate.Length(1, 100))


@dataclass(frozen=True, eq=False)  # eq=False: routes are werkzeug endpoints, hashed by identity
class Route:
    method: str
    path: str  # werkzeug rule; <code> is the Mission
    action: str  # kit.permissions action
    service: str
    rpc: str
    summary: str
    # (path params, loaded query, loaded-and-checked body as sent) -> RPC positional args
    args: Callable[[dict, dict, object], list] = field(default=lambda p, q, b: [])
    body: type[Schema] | Schema | None = None  # the request body's schema (a class, or an instance with options)
    query: dict[str, fields.Field] = field(default_factory=dict)  # query parameters besides page and purpose
    status: int = 200
    personal: bool = False  # reads personal data: the gateway writes an audit line
    paginated: bool = False
    # What a success answers: "object" or "array" (a paginated list is a page object), or "file": the service
    # returns {filename, content_type, encoding, content} and the gateway answers the file itself.
    returns: str = "object"

    @property
    def scope(self) -> str:
        return "intermire" if self.path.startswith("/intermire") else "mission"

    @cached_property
    def query_schema(self) -> type[Schema]:
        declared = dict(self.query)
        if self.paginated:
            declared.update(page_fields())
        if self.personal:
            declared["purpose"] = purpose_field()
        name = "".join(part.capitalize() for part in self.rpc.split("_")) + "Query"
        return _Query.from_dict(declared, name=name)

    def body_schema(self) -> Schema | None:
        if self.body is None:
            return None
        return self.body() if isinstance(self.body, type) else self.body

    # The schemas the gateway loads each request with, built once: a marshmallow schema keeps nothing of a
    # load between calls, and building one (its fields bound, its hooks resolved) cost more than the load.
    @cached_property
    def query_loader(self) -> Schema:
        return self.query_schema()

    @cached_property
    def body_loader(self) -> Schema | None:
        return self.body_schema()


# -- argument builders shared by the tables ---------------------------------
def page_args(query: dict) -> list:
    return [query["page"], query["page_size"]]


def by_id(name: str = "id"):
    return lambda p, q, b: [p[name]]


def by_id_body(name: str = "id"):
    return lambda p, q, b: [p[name], b]


def by_id_purpose(name: str = "id"):
    return lambda p, q, b: [p[name], q["purpose"]]


def body_only(p, q, b):
    return [b]
