"""HTTP hygiene: problem+json for every refusal (the server's own 414 and 431 included), 415 for a body that is
not JSON, security headers, ``no-store``, CORS closed unless configured.

The 414 and 431 come from the HTTP server before any application code runs, so they are tested over a real
socket against ``gateway.app.serve``'s server set-up (eventlet's WSGI server with ``ProblemProtocol``) on
loopback; everything else through werkzeug's test client. No broker is needed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket

import eventlet
import eventlet.wsgi
import pytest
from werkzeug.test import Client

from gateway.app import Gateway
from gateway.auth import mint
from gateway.http import ProblemProtocol
from kit import registry

DEVELOPMENT = {"PASSERELLE_ENV": "development", "PASSERELLE_RATE_BURST": "100000"}
SECURITY = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}


def bearer(roles=("director",)):
    return {"Authorization": f"Bearer {mint('dora', 'mirec', list(roles))}"}


@pytest.fixture(scope="module")
def app():
    gateway = Gateway(registry.load(), environ=DEVELOPMENT)
    yield gateway
    gateway.rpc_clients.close()


@pytest.fixture(scope="module")
def server(app):
    """The gateway's WSGI server on a loopback port, as ``serve`` runs it."""
    sock = eventlet.listen(("127.0.0.1", 0))
    thread = eventlet.spawn(eventlet.wsgi.server, sock, app, protocol=ProblemProtocol, log_output=False)
    yield sock.getsockname()[1]
    thread.kill()
    sock.close()


def raw(port: int, request: bytes) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def assert_problem(status, headers, body, expected):
    assert status == expected
    assert headers["content-type"] == "application/problem+json"
    assert int(headers["content-length"]) == len(body)
    problem = json.loads(body)
    assert problem["status"] == expected and problem["title"] and problem["request_id"]
    assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store"
    return problem


def test_an_over_long_query_is_414_problem_json(server):
    request = f"GET /missions/mirec/employers?q={'x' * 10_000} HTTP/1.1\r\nHost: t\r\n\r\n".encode()
    problem = assert_problem(*raw(server, request), 414)
    assert problem["title"] == "URI Too Long" and "8192" in problem["detail"]


def test_over_long_headers_are_431_problem_json(server):
    one_line = f"GET /health HTTP/1.1\r\nHost: t\r\nX-Big: {'y' * 9000}\r\n\r\n".encode()
    problem = assert_problem(*raw(server, one_line), 431)
    assert problem["title"] == "Request Header Fields Too Large"
    many = "".join(f"X-H{i}: {'z' * 4000}\r\n" for i in range(20))
    assert_problem(*raw(server, f"GET /health HTTP/1.1\r\nHost: t\r\n{many}\r\n".encode()), 431)


def test_the_server_still_answers_ordinary_requests_through_the_application(server):
    request = b"GET /missions/mirec/employers HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    status, headers, body = raw(server, request)
    assert_problem(status, headers, body, 401)
    status, headers, body = raw(server, b"GET /openapi.json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert status == 200 and json.loads(body)["openapi"].startswith("3.1")


@pytest.mark.parametrize(
    "content_type, data",
    [
        ("text/plain", '{"name": "Boulangerie Dupont"}'),
        ("application/x-www-form-urlencoded", "name=Boulangerie+Dupont"),
        ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nB\r\n--x--\r\n'),
        (None, '{"name": "Boulangerie Dupont"}'),
    ],
)
def test_a_body_that_is_not_json_is_415(app, content_type, data):
    headers = {**bearer(("employer_relations",)), **({"Content-Type": content_type} if content_type else {})}
    reply = Client(app).post("/missions/mirec/employers", data=data, headers=headers)
    assert reply.status_code == 415
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.json["title"] == "Unsupported Media Type" and reply.json["accept"] == ["application/json"]


def test_json_with_a_charset_or_a_json_suffix_is_json(app):
    client = Client(app)
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json", "Application/JSON"):
        reply = client.post(
            "/missions/mirec/employers", data="[]", content_type=content_type, headers=bearer(("employer_relations",))
        )
        assert reply.status_code == 422, content_type  # past the media type: a JSON list is not an object


def test_security_headers_and_no_store_on_every_answer(app):
    client = Client(app)
    answers = {
        "problem": client.get("/missions/mirec/beneficiaries"),
        "not found": client.get("/nowhere"),
        "validation": client.get("/missions/mirec/employers?page=0", headers=bearer()),
        "openapi": client.get("/openapi.json"),
        "docs": client.get("/docs"),
    }
    for name, reply in answers.items():
        for header, value in SECURITY.items():
            assert reply.headers[header] == value, (name, header)
        assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"], name
        assert "Strict-Transport-Security" not in reply.headers  # not configured
        assert "Access-Control-Allow-Origin" not in reply.headers  # CORS closed
    for name in ("problem", "not found", "validation"):
        assert answers[name].headers["Cache-Control"] == "no-store", name
        assert answers[name].headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "Cache-Control" not in answers["openapi"].headers  # the same document for everyone
    # The docs page may use its own inline style and nothing else.
    page = answers["docs"].get_data(as_text=True)
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in answers["docs"].headers["Content-Security-Policy"]
    assert "script-src" not in answers["docs"].headers["Content-Security-Policy"]


def test_hsts_when_configured():
    gateway = Gateway(registry.load(), environ={**DEVELOPMENT, "PASSERELLE_HSTS_MAX_AGE": "31536000"})
    try:
        reply = Client(gateway).get("/openapi.json")
        assert reply.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    finally:
        gateway.rpc_clients.close()


def test_cors_is_closed_unless_origins_are_listed(app):
    client = Client(app)
    preflight = {"Origin": "https://front.example.org", "Access-Control-Request-Method": "POST"}
    closed = client.options("/missions/mirec/employers", headers=preflight)
    assert closed.status_code == 403 and "Access-Control-Allow-Origin" not in closed.headers
    assert closed.headers["Content-Type"] == "application/problem+json"

    origin = "https://front.example.org"
    gateway = Gateway(
        registry.load(), environ={**DEVELOPMENT, "PASSERELLE_CORS_ORIGINS": f"{origin}, https://b.example"}
    )
    try:
        client = Client(gateway)
        ok = client.options("/missions/mirec/employers", headers=preflight)
        assert ok.status_code == 204
        assert ok.headers["Access-Control-Allow-Origin"] == origin
        assert set(ok.headers["Access-Control-Allow-Methods"].split(", ")) >= {"GET", "POST"}
        assert "Authorization" in ok.headers["Access-Control-Allow-Headers"]
        wrong_method = client.options(
            "/missions/mirec/employers", headers={**preflight, "Access-Control-Request-Method": "DELETE"}
        )
        assert wrong_method.status_code == 405
        other = client.options("/missions/mirec/employers", headers={**preflight, "Origin": "https://evil.example"})
        assert other.status_code == 403 and "Access-Control-Allow-Origin" not in other.headers
        # Both refused before any RPC (page 0): the headers are the gateway's, whatever the answer.
        listed = client.get("/missions/mirec/employers?page=0", headers={"Origin": origin, **bearer()})
        assert listed.headers["Access-Control-Allow-Origin"] == origin and "Origin" in listed.headers["Vary"]
        evil = {"Origin": "https://evil.example", **bearer()}
        unlisted = client.get("/missions/mirec/employers?page=0", headers=evil)
        assert "Access-Control-Allow-Origin" not in unlisted.headers
    finally:
        gateway.rpc_clients.close()
