"""The OpenAPI 3.1 document, generated from the route table and the services' marshmallow schemas."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.routes import MAX_PAGE_SIZE, ROUTES

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "instance": {"type": "string"}, "request_id": {"type": "string"},
        "errors": {"type": "object", "description": "field -> messages",
                   "additionalProperties": True},
        "existing": {"type": ["string", "null"], "description": "the record a conflict points to"},
    },
    "required": ["type", "title", "status"],
}
ERRORS = {"401": "no valid bearer token", "403": "the role may not take this action",
          "404": "not found (or another Mission's)", "413": "body too large", "422": "invalid input, field by field",
          "429": "too many requests", "504": "a service did not answer in time"}


def _path(rule: str) -> tuple[str, list[str]]:
    names = re.findall(r"<(\w+)>", rule)
    return re.sub(r"<(\w+)>", r"{\1}", rule), names


def build(version: str = "0.1.0") -> dict:
    spec = APISpec(title="Passerelle", version=version, openapi_version="3.1.0", plugins=[MarshmallowPlugin()],
                   info={"description": "The shared platform of Wallonia's Missions Régionales pour l'Emploi."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Problem", PROBLEM)
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    paths: dict[str, dict] = {}
    for route in ROUTES:
        path, names = _path(route.path)
        parameters = [{"name": n, "in": "path", "required": True,
                       "schema": {"type": "string", "pattern": "^[a-z][a-z0-9]{1,19}$"} if n == "code"
                       else {"type": "string", "minLength": 1, "maxLength": 64}} for n in names]
        if route.paginated:
            parameters += [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                           {"name": "page_size", "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}}]
        if route.personal:
            parameters.append({"name": "purpose", "in": "query", "description": "why the data is read (audited)",
                               "schema": {"type": "string", "maxLength": 100}})
        operation = {
            "summary": route.summary,
            "operationId": route.method.lower() + "_" + re.sub(r"[^a-z0-9]+", "_", route.path.lower()).strip("_"),
            "tags": [route.service], "security": [{"bearer": []}], "parameters": parameters,
            "x-policy-action": route.action,
            "responses": {str(route.status): {"description": "done", "content": {"application/json": {
                "schema": {}}}}, **{code: {"description": why, "content": problem} for code, why in ERRORS.items()}},
        }
        if route.body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
        paths.setdefault(path, {})[route.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    spec.path(path="/health", operations={"get": {"summary": "Readiness of every site and service",
                                                  "responses": {"200": {"description": "all ready"},
                                                                "503": {"description": "not all ready"}}}})
    return spec.to_dict()


DOCS_PAGE = """<!doctype html><html lang="fr"><meta charset="utf-8"><title>Passerelle API</title>
<style>body{{font:15px system-ui;margin:2em;max-width:60em}}code{{background:#eee;padding:0 .3em}}
td{{padding:.2em .8em;vertical-align:top}}</style>
<h1>Passerelle API</h1><p>The machine-readable document is <a href="/openapi.json">/openapi.json</a>
(OpenAPI {openapi}). Every operation needs a bearer token.</p><table>{rows}</table></html>"""


def docs_page(document: dict) -> str:
    rows = []
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{path}</code></td>"
                        f"<td>{op.get('summary', '')}</td><td>{op.get('x-policy-action', '')}</td></tr>")
    return DOCS_PAGE.format(openapi=document["openapi"], rows="".join(rows))
