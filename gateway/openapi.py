"""The OpenAPI 3.1 document, generated from the route table and the services' marshmallow schemas.

Request bodies and query parameters come from the very schemas the gateway
validates with (``Route.body_schema``, ``Route.query_schema``); path
references carry the pattern the gateway enforces; every error is an RFC 9457
problem. What a success answers is described by its shape (object, array or
page), since the services' answers are dicts they build themselves.
"""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.route import ID_PATTERN
from gateway.routes import ROUTES

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {"type": "object", "description": "field -> messages", "additionalProperties": True},
        "existing": {"type": ["string", "null"], "description": "the record a conflict points to"},
    },
    "required": ["type", "title", "status"],
}
PAGE = {
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": {"type": "object"}},
        "page": {"type": "integer", "minimum": 1},
        "page_size": {"type": "integer", "minimum": 1},
        "total": {"type": "integer", "minimum": 0},
    },
    "required": ["items", "page", "page_size", "total"],
}
ERRORS = {
    "400": "the body is not JSON",
    "401": "no valid bearer token",
    "403": "the role may not take this action",
    "404": "not found (or another Mission's)",
    "409": "the write clashes with the current state or an existing record",
    "413": "body too large",
    "414": "request line (path and query) too long",
    "415": "the body is not application/json",
    "422": "invalid input, field by field",
    "429": "too many requests",
    "431": "request headers too large",
    "502": "a service failed",
    "503": "a service or its site cannot be reached",
    "504": "a service did not answer in time",
}
REQUEST_ID_HEADER = {
    "X-Request-Id": {"description": "the request's id, also in the services' log lines", "schema": {"type": "string"}}
}


def _path(rule: str) -> tuple[str, list[str]]:
    names = re.findall(r"<(\w+)>", rule)
    return re.sub(r"<(\w+)>", r"{\1}", rule), names


# What a file route may answer: the export formats of the reporting service.
FILE_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf")


def _success(route) -> dict:
    if route.paginated:
        return {"$ref": "#/components/schemas/Page"}
    return {"type": route.returns}


def _success_content(route) -> dict:
    if route.returns == "file":
        return {kind: {"schema": {"type": "string", "format": "binary"}} for kind in FILE_TYPES}
    return {"application/json": {"schema": _success(route)}}


def _path_parameter(name: str, missions: list[str]) -> dict:
    if name == "code":
        schema = {"type": "string", "enum": missions} if missions else {"type": "string"}
        return {"name": name, "in": "path", "required": True, "description": "the Mission", "schema": schema}
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "pattern": ID_PATTERN}}


def schema_name(schema) -> str:
    """Component names prefixed by the owning service: two services may both have a ``DropOutSchema``."""
    cls = schema if isinstance(schema, type) else type(schema)
    module = cls.__module__.split(".")
    owner = module[-1] if module[0] == "gateway" else module[0]  # gateway.routes.<service> or <service>.schemas
    return owner.capitalize() + cls.__name__.removesuffix("Schema")


def build(missions: list[str] | None = None, version: str = "0.1.0") -> dict:
    """The document; ``missions`` (the registry's codes) become the values of ``{code}``."""
    spec = APISpec(
        title="Passerelle",
        version=version,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin(schema_name_resolver=schema_name)],
        info={"description": "The shared platform of Wallonia's Missions Régionales pour l'Emploi."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Problem", PROBLEM)
    spec.components.schema("Page", PAGE)
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    paths: dict[str, dict] = {}
    for route in ROUTES:
        path, names = _path(route.path)
        parameters = [_path_parameter(n, missions or []) for n in names]
        if route.query_schema._declared_fields:
            parameters.append({"in": "query", "schema": route.query_schema})
        operation = {
            "summary": route.summary,
            "operationId": route.method.lower() + "_" + re.sub(r"[^a-z0-9]+", "_", route.path.lower()).strip("_"),
            "tags": [route.service],
            "security": [{"bearer": []}],
            "parameters": parameters,
            "x-policy-action": route.action,
            "x-personal-data": route.personal,
            "responses": {
                str(route.status): {
                    "description": "done",
                    "headers": REQUEST_ID_HEADER,
                    "content": _success_content(route),
                },
                **{code: {"description": why, "content": problem} for code, why in ERRORS.items()},
            },
        }
        if route.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": route.body_schema()}},
            }
        paths.setdefault(path, {})[route.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    spec.path(
        path="/health",
        operations={
            "get": {
                "summary": "Readiness of every site and service",
                "responses": {"200": {"description": "all ready"}, "503": {"description": "not all ready"}},
            }
        },
    )
    return spec.to_dict()


DOCS_PAGE = """<!doctype html><html lang="fr"><meta charset="utf-8"><title>Passerelle API</title>
<style>body{{font:15px system-ui;margin:2em;max-width:70em}}code{{background:#eee;padding:0 .3em}}
td{{padding:.2em .8em;vertical-align:top}}</style>
<h1>Passerelle API</h1><p>The machine-readable document is <a href="/openapi.json">/openapi.json</a>
(OpenAPI {openapi}). Every operation needs a bearer token whose <code>mission</code> claim is the Mission in
the path and whose <code>roles</code> include one the policy allows for the action; errors are
<code>application/problem+json</code>.</p>
<table><tr><th>method</th><th>path</th><th>what</th><th>policy action</th></tr>{rows}</table></html>"""


def docs_page(document: dict) -> str:
    rows = []
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{path}</code></td>"
                f"<td>{op.get('summary', '')}</td><td>{op.get('x-policy-action', '')}</td></tr>"
            )
    return DOCS_PAGE.format(openapi=document["openapi"], rows="".join(rows))
