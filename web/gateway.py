"""The web application's only way to data: HTTP calls to the gateway with the signed-in user's token.

One pooled ``requests`` session serves every user (the token travels per
request, never stored on the session). A gateway error is raised as
``GatewayError`` carrying its RFC 9457 problem, with the field-level
``errors`` flattened to dotted names (``competences.0.code``) so a form can
put each message next to its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import requests
from requests.adapters import HTTPAdapter


@dataclass
class GatewayError(Exception):
    status: int
    problem: dict = field(default_factory=dict)

    def __post_init__(self):
        super().__init__(self.status, self.problem.get("title"))

    @property
    def errors(self) -> dict[str, list[str]]:
        return flatten_errors(self.problem.get("errors") or {})

    @property
    def existing(self) -> str | None:
        """The record a 409 points to (a second intake of a person, a second record of an enterprise)."""
        return self.problem.get("existing") if self.status == 409 else None

    def rename_fields(self, field_of) -> None:
        """The errors' nested names as the form's own (``field_of(flat_name) -> form field``), for the page."""
        self.problem["errors"] = {field_of(key): messages for key, messages in self.errors.items()}

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or self.problem.get("title") or self.status)


def flatten_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"a.0.b": [messages]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for sub, messages in flatten_errors(value, name).items():
                flat.setdefault(sub, []).extend(messages)
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        flat[prefix or "_schema"] = list(errors)
    elif isinstance(errors, list):
        for i, value in enumerate(errors):
            flat.update(flatten_errors(value, f"{prefix}.{i}" if prefix else str(i)))
    else:
        flat[prefix or "_schema"] = [str(errors)]
    return flat


class GatewayClient:
    def __init__(self, base_url: str, timeout: float = 15.0, pool_size: int = 32):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)

    def call(self, method: str, path: str, token: str, *, json=None, params=None, request_id: str | None = None):
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if request_id:
            headers["X-Request-Id"] = request_id
        try:
            reply = self.http.request(
                method, self.base_url + path, json=json, params=params, headers=headers, timeout=self.timeout
            )
        except requests.RequestException:
            raise GatewayError(
                503, {"title": "Service Unavailable", "detail": "the gateway cannot be reached"}
            ) from None
        if reply.status_code >= 400:
            try:
                problem = reply.json()
            except ValueError:
                problem = {"title": reply.reason}
            raise GatewayError(reply.status_code, problem if isinstance(problem, dict) else {})
        if reply.headers.get("Content-Type", "").startswith("application/json"):
            return reply.json()
        return reply

    def close(self):
        self.http.close()


class UserGateway:
    """The gateway as one user sees it: their token and their Mission filled in."""

    def __init__(self, client: GatewayClient, token: str, mission: str, request_id: str | None = None):
        self.client, self.token, self.mission, self.request_id = client, token, mission, request_id

    def _path(self, path: str) -> str:
        return path if path.startswith("/intermire") else f"/missions/{self.mission}{path}"

    def get(self, path: str, **params):
        params = {k: v for k, v in params.items() if v is not None}
        return self.client.call("GET", self._path(path), self.token, params=params, request_id=self.request_id)

    def post(self, path: str, body: dict | None = None):
        return self.client.call(
            "POST", self._path(path), self.token, json=body if body is not None else {}, request_id=self.request_id
        )

    def patch(self, path: str, body: dict):
        return self.client.call("PATCH", self._path(path), self.token, json=body, request_id=self.request_id)
