"""HTTP hygiene of the gateway: what every answer carries, who may read it from a browser, and the
refusals the HTTP server writes before the application sees a request.

* **Security headers** on every answer: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
  no-referrer``, ``X-Frame-Options: DENY`` and a ``Content-Security-Policy`` that allows nothing on the
  API (JSON needs no script, style or frame) and only its own inline style on ``/docs``;
  ``Strict-Transport-Security`` when ``PASSERELLE_HSTS_MAX_AGE`` (seconds) is set, which is to be done
  only behind TLS. Every answer of an operation, and every problem, is ``Cache-Control: no-store``: it
  depends on the caller's token and may carry a person's data, so no cache on the way may keep it.
* **CORS is closed** unless ``PASSERELLE_CORS_ORIGINS`` lists origins (comma-separated, exact
  ``scheme://host[:port]``). A listed origin gets ``Access-Control-Allow-Origin`` (never ``*``) and an
  answer to its preflight; any other gets no CORS header, and its preflight a 403 problem.
* **Refusals before the application.** eventlet's WSGI server answers an over-long request line (a
  10 kB query string) with a bare ``414`` and over-long header lines or headers with a bare ``400``,
  all with an empty body, before any application code runs. ``ProblemProtocol`` takes those answers
  over: the same decision, written as RFC 9457 problem+json, with ``431 Request Header Fields Too Large``
  for the headers (RFC 6585).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid

import eventlet.wsgi

NONE = "'none'"
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
CORS_ALLOWED_HEADERS = "Authorization, Content-Type, X-Request-Id"
CORS_MAX_AGE = "600"
JSON_TYPE = re.compile(r"^application/(?:[a-z0-9.+-]+\+)?json$")


def is_json(content_type: str | None) -> bool:
    """``application/json`` or ``application/<x>+json``, with any parameter (``charset=utf-8``)."""
    return bool(content_type) and bool(JSON_TYPE.match(content_type.split(";", 1)[0].strip().lower()))


def docs_csp(page: str) -> str:
    """The docs page's policy: nothing but its own inline style, named by its hash."""
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in styles)
    return f"default-src 'none'; style-src {hashes or NONE}; frame-ancestors 'none'; base-uri 'none'"


class Hygiene:
    """The headers every gateway answer gets, and the CORS decision; read once from the environment."""

    def __init__(self, environ, docs_page: str):
        origins = environ.get("PASSERELLE_CORS_ORIGINS", "")
        self.origins = frozenset(o.strip().rstrip("/") for o in origins.split(",") if o.strip())
        hsts = environ.get("PASSERELLE_HSTS_MAX_AGE", "").strip()
        self.hsts = f"max-age={int(hsts)}; includeSubDomains" if hsts else None
        self.docs_csp = docs_csp(docs_page)

    def allows(self, origin: str | None) -> bool:
        return bool(origin) and origin in self.origins

    def apply(self, response, path: str, origin: str | None, cacheable: bool) -> None:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["Content-Security-Policy"] = self.docs_csp if path == "/docs" else API_CSP
        if self.hsts:
            response.headers["Strict-Transport-Security"] = self.hsts
        if not cacheable:
            response.headers["Cache-Control"] = "no-store"
        if self.origins:
            response.headers.add("Vary", "Origin")
        if self.allows(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "X-Request-Id, Retry-After"

    def preflight_headers(self, origin: str, methods: list[str]) -> dict:
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ", ".join(methods),
            "Access-Control-Allow-Headers": CORS_ALLOWED_HEADERS,
            "Access-Control-Max-Age": CORS_MAX_AGE,
        }


# -- the server's own refusals -------------------------------------------------------------------------------

# (what eventlet 0.41's HttpProtocol.handle_one_request writes, status, title, detail)
_REFUSALS = (
    (b"HTTP/1.0 414 ", 414, "URI Too Long", f"the request line is limited to {eventlet.wsgi.MAX_REQUEST_LINE} bytes"),
    (
        b"HTTP/1.0 400 Header Line Too Long",
        431,
        "Request Header Fields Too Large",
        f"a header line is limited to {eventlet.wsgi.MAX_HEADER_LINE} bytes",
    ),
    (
        b"HTTP/1.0 400 Headers Too Large",
        431,
        "Request Header Fields Too Large",
        f"the headers are limited to {eventlet.wsgi.MAX_TOTAL_HEADER_SIZE} bytes",
    ),
    (b"HTTP/1.0 400 Bad Request", 400, "Bad Request", "the request's framing is invalid"),
)


def refusal(status: int, title: str, detail: str) -> bytes:
    """A complete HTTP/1.0 answer with a problem+json body, closing the connection."""
    body = json.dumps(
        {
            "type": f"urn:passerelle:problem:{title.lower().replace(' ', '-')}",
            "title": title,
            "status": status,
            "detail": detail,
            "request_id": uuid.uuid4().hex,
        }
    ).encode()
    headers = [
        f"HTTP/1.0 {status} {title}",
        "Connection: close",
        "Content-Type: application/problem+json",
        f"Content-Length: {len(body)}",
        "Cache-Control: no-store",
        *(f"{k}: {v}" for k, v in SECURITY_HEADERS.items()),
        f"Content-Security-Policy: {API_CSP}",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


class _RefusalWriter:
    """The connection's writer while eventlet reads a request: its canned refusals become problems."""

    def __init__(self, wfile):
        self.wfile = wfile
        self.reading = True

    def write(self, data):
        if self.reading:
            for prefix, status, title, detail in _REFUSALS:
                if bytes(data).startswith(prefix):
                    data = refusal(status, title, detail)
                    break
        return self.wfile.write(data)

    def __getattr__(self, name):
        return getattr(self.wfile, name)


class ProblemProtocol(eventlet.wsgi.HttpProtocol):
    """eventlet's HTTP/1.1 handler, whose refusals before the application are problem+json.

    eventlet writes them inline in ``handle_one_request``; rather than copy its request parsing, the
    writer is wrapped while a request is read, and unwrapped as soon as the request reaches the
    application (``get_environ``), so no answer of the application itself is ever looked at.
    """

    def handle_one_request(self):
        real = self.wfile
        self.wfile = _RefusalWriter(real)
        try:
            super().handle_one_request()
        finally:
            self.wfile = real

    def get_environ(self):
        if isinstance(self.wfile, _RefusalWriter):
            self.wfile.reading = False
        return super().get_environ()
