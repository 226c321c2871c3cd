"""What the gateway decides before any RPC: tokens, the Mission wall, the policy, limits, input, the route table.

No broker is needed: every request here is answered by the gateway itself
(a refused one never reaches a proxy, and the proxies connect lazily). The
same decisions on running services are in ``tests/integration/test_gateway.py``.
"""

import hashlib
import hmac
import importlib
import json
import logging
import time

import amqp.exceptions
import jwt
import kombu.exceptions
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from nameko.rpc import Rpc
from openapi_spec_validator import validate
from werkzeug.test import Client

from gateway.app import Gateway
from gateway.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_SECRET, mint
from gateway.routes import NOT_ROUTED, ROUTES
from kit import logs, registry
from kit.config import ConfigError
from kit.permissions import POLICY

DEVELOPMENT = {"PASSERELLE_ENV": "development"}
PROTECTED = ("mission", "status", "state", "owner", "counsellor", "created_by", "consent", "version", "signed_at")


@pytest.fixture(scope="module")
def app():
    gateway = Gateway(
        registry.load(), environ={**DEVELOPMENT, "PASSERELLE_MAX_BODY": "2000", "PASSERELLE_RATE_BURST": "100000"}
    )
    yield gateway
    gateway.rpc_clients.close()


def auth(mission="mirec", roles=("counsellor",), sub="anne"):
    # A partner's token names its organisation (gateway.auth refuses one that does not).
    organisation = "org-partner-1" if "partner" in roles else None
    return {"Authorization": f"Bearer {mint(sub, mission, list(roles), organisation=organisation)}"}


def concrete(path: str, code="mirec") -> str:
    return (
        path.replace("<code>", code)
        .replace("<id>", "a-ref")
        .replace("<contact_id>", "a-contact")
        .replace("<orientation_id>", "an-orientation")
        .replace("<service_id>", "a-service")
        .replace("<agency>", "forem")
        .replace("<name>", "entries")
        .replace("<period>", "2026-Q1")
    )


def test_every_rpc_of_every_service_has_a_route_or_a_stated_reason():
    routed = {(r.service, r.rpc) for r in ROUTES}
    missing = []
    # Reporting has two classes of one name: mission mode (reporting.service), sector mode (reporting.sector).
    modules = [(s, f"{s}.service") for s in ("beneficiary", "employer", "convention", "matching", "reporting")]
    for service, module in [*modules, ("reporting", "reporting.sector")]:
        cls = importlib.import_module(module)
        service_cls = next(v for v in vars(cls).values() if isinstance(v, type) and getattr(v, "name", None) == service)
        for name in dir(service_cls):
            method = getattr(service_cls, name)
            entrypoints = getattr(method, "nameko_entrypoints", set())
            if any(isinstance(e, Rpc) for e in entrypoints) and (service, name) not in routed | set(NOT_ROUTED):
                missing.append(f"{service}.{name}")
    assert missing == []
    assert len(ROUTES) >= 60
    assert all(route.action in POLICY for route in ROUTES), "every route names an action of the policy table"


def test_the_openapi_document_is_valid_and_names_every_route(app):
    client = Client(app)
    document = client.get("/openapi.json").json
    validate(document)
    assert document["openapi"] == "3.1.0"
    operations = [(m.upper(), p) for p, ops in document["paths"].items() for m in ops if p != "/health"]
    assert len(operations) == len(ROUTES)
    codes = document["paths"]["/missions/{code}/projects"]["get"]["parameters"][0]["schema"]["enum"]
    assert len(codes) == 11 and "mirec" in codes
    page_size = next(
        p for p in document["paths"]["/missions/{code}/employers"]["get"]["parameters"] if p["name"] == "page_size"
    )
    assert page_size["schema"]["maximum"] == 100
    assert "Passerelle API" in client.get("/docs").get_data(as_text=True)


def test_bad_tokens_are_refused_with_401():
    app = Gateway(registry.load())
    client = Client(app)
    now = int(time.time())
    claims = {
        "sub": "anne",
        "mission": "mirec",
        "roles": ["counsellor"],
        "iss": DEFAULT_ISSUER,
        "aud": DEFAULT_AUDIENCE,
        "iat": now,
        "exp": now + 600,
    }
    header, payload, signature = jwt.encode(claims, DEV_SECRET, algorithm="HS256").split(".")
    tampered = jwt.utils.base64url_encode(json.dumps(dict(claims, roles=["director"])).encode()).decode()
    tokens = {
        "missing": None,
        "not bearer": "Basic YW5uZTpzZWNyZXQ=",
        "expired": jwt.encode(dict(claims, exp=now - 10), DEV_SECRET, algorithm="HS256"),
        "wrong audience": jwt.encode(dict(claims, aud="someone-else"), DEV_SECRET, algorithm="HS256"),
        "wrong issuer": jwt.encode(dict(claims, iss="evil"), DEV_SECRET, algorithm="HS256"),
        "alg none": jwt.encode(claims, None, algorithm="none"),
        "tampered signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "tampered claims": f"{header}.{tampered}.{signature}",
        "other key": jwt.encode(claims, "not-the-secret-at-all-but-long-enough", algorithm="HS256"),
        "no roles": jwt.encode(dict(claims, roles=[]), DEV_SECRET, algorithm="HS256"),
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, DEV_SECRET, algorithm="HS256"),
    }
    for name, token in tokens.items():
        headers = {"Authorization": token if name == "not bearer" else f"Bearer {token}"} if token else {}
        reply = client.get("/missions/mirec/beneficiaries", headers=headers)
        assert reply.status_code == 401, name
        assert reply.headers["Content-Type"] == "application/problem+json"
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
        assert token is None or token not in reply.get_data(as_text=True)
    app.rpc_clients.close()


def test_a_partner_token_names_its_organisation_and_carries_no_other_role(app):
    """The partner role is scoped to one organisation: without it, or mixed with a staff role, 401 saying why;
    a staff token's organisation claim is dropped (it scopes a partner only)."""
    client = Client(app)
    refused = {
        "no organisation": mint("paul", "mirec", ["partner"]),
        "blank organisation": mint("paul", "mirec", ["partner"], organisation="   "),
        "with a staff role": mint("paul", "mirec", ["partner", "counsellor"], organisation="org-1"),
    }
    for name, token in refused.items():
        reply = client.get("/missions/mirec/referrals", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 401, name
        assert "partner" in reply.json["detail"], name
    actor = app.auth.actor(f"Bearer {mint('paul', 'mirec', ['partner'], organisation='org-1')}")
    assert actor.organisation == "org-1" and actor.roles == ("partner",)
    assert actor.context()["actor_organisation"] == "org-1"
    staff = app.auth.actor(f"Bearer {mint('anne', 'mirec', ['counsellor'], organisation='org-1')}")
    assert staff.organisation is None and "actor_organisation" not in staff.context()
    # The partner may take the referral actions only: a file, a plan or notes are refused before any call.
    for path in (
        "/missions/mirec/beneficiaries",
        "/missions/mirec/beneficiaries/a-ref/plan",
        "/missions/mirec/employers",
    ):
        reply = client.get(
            path, headers={"Authorization": f"Bearer {mint('paul', 'mirec', ['partner'], organisation='org-1')}"}
        )
        assert reply.status_code == 403, path


def test_another_missions_token_gets_404_and_a_missing_role_403(app):
    client = Client(app)
    for route in ROUTES:
        if route.scope != "mission":
            continue
        role = sorted(POLICY[route.action])[0]
        other = client.open(concrete(route.path), method=route.method, headers=auth("mirena", [role]), json={})
        assert other.status_code == 404 and other.json["detail"] == "no such resource", route.path
        denied = [r for r in ("forem", "actiris", "intermire_analyst") if r not in POLICY[route.action]]
        for agency in denied:
            reply = client.open(concrete(route.path), method=route.method, headers=auth("mirec", [agency]), json={})
            assert reply.status_code == 403, (route.method, route.path, agency)
    sector = client.get("/intermire/indicators", headers=auth("mirec", ["director"]))
    assert sector.status_code == 404


def test_protected_fields_cannot_be_mass_assigned(app):
    client = Client(app)
    checked = 0
    for route in ROUTES:
        schema = route.body_schema()
        if schema is None:
            continue
        role = sorted(POLICY[route.action])[0]
        for name in PROTECTED:
            if name in schema.fields:
                continue
            reply = client.open(
                concrete(route.path), method=route.method, headers=auth("mirec", [role]), json={name: "x"}
            )
            assert reply.status_code == 422, (route.path, name)
            assert name in reply.json["errors"], (route.path, name)
            checked += 1
    assert checked > 200


def test_limits_and_input_errors_are_problems_with_fields(app):
    client = Client(app)
    headers = auth(roles=("director",))
    big = client.post(
        "/missions/mirec/beneficiaries", data="x" * 5000, content_type="application/json", headers=headers
    )
    assert big.status_code == 413
    assert client.get("/missions/mirec/employers?page_size=101", headers=headers).json["errors"] == {
        "page_size": ["Must be greater than or equal to 1 and less than or equal to 100."]
    }
    assert client.get("/missions/mirec/employers?page=0", headers=headers).status_code == 422
    assert client.get("/missions/mirec/employers?page=abc", headers=headers).status_code == 422
    assert set(
        client.get("/missions/mirec/matching/occupation-suggestions?limit=0", headers=headers).json["errors"]
    ) == {"title", "limit"}
    not_json = client.post("/missions/mirec/employers", data="{", content_type="application/json", headers=headers)
    assert not_json.status_code == 400
    listed = client.post("/missions/mirec/employers", json=[1, 2], headers=headers)
    assert listed.status_code == 422
    nul = client.post(
        "/missions/mirec/employers/e-1/contacts", json={"name": "A\x00B"}, headers=auth(roles=("employer_relations",))
    )
    assert nul.status_code == 422 and nul.json["errors"] == {"name": ["contains a NUL character"]}
    odd = client.get("/missions/mirec/employers/%C3%A9t%C3%A9", headers=headers)
    assert odd.status_code == 404 and odd.headers["Content-Type"] == "application/problem+json"
    missing = client.post("/missions/mirec/conventions/c-1/cancel", json={"reason": "whim"}, headers=headers)
    assert missing.status_code == 422 and list(missing.json["errors"]) == ["reason"]


def test_request_id_is_taken_when_plain_and_made_otherwise(app):
    client = Client(app)
    given = client.get("/missions/mirec/beneficiaries", headers={"X-Request-Id": "abc-123"})
    assert given.headers["X-Request-Id"] == "abc-123" and given.json["request_id"] == "abc-123"
    forged = client.get("/missions/mirec/beneficiaries", headers={"X-Request-Id": 'x"; level=critical'})
    assert forged.headers["X-Request-Id"] != 'x"; level=critical'
    assert len(forged.headers["X-Request-Id"]) == 32


def test_log_lines_carry_the_request_id_at_the_root_of_the_call_stack():
    formatter = logs.JsonFormatter("mirec")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "registered", None, None)
    logs.bind_call("c-2", ["gateway.req-7", "standalone_rpc_proxy.call.c-1", "beneficiary.register.c-2"], "beneficiary")
    try:
        line = json.loads(formatter.format(record))
    finally:
        logs.clear_call()
    assert line["request_id"] == "req-7" and line["service"] == "beneficiary"
    assert "request_id" not in json.loads(formatter.format(record))


def test_an_identity_providers_rs256_token_is_accepted_and_algorithm_confusion_refused(tmp_path):
    """A Keycloak-shaped access token (RS256, audience list, extra claims) checked with a public key file."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "idp.pem").write_bytes(public_pem)
    issuer = "https://sso.example.org/realms/mire"
    app = Gateway(
        registry.load(),
        environ={
            "PASSERELLE_JWT_ISSUER": issuer,
            "PASSERELLE_JWT_AUDIENCE": "passerelle",
            "PASSERELLE_JWT_PUBLIC_KEY_FILE": str(tmp_path / "idp.pem"),
        },
    )
    client = Client(app)
    now = int(time.time())
    claims = {
        "sub": "5f0c2a4e-7d1b-4c2e-9a57-0d7e1f3b2c11",
        "iss": issuer,
        "aud": ["passerelle", "account"],
        "azp": "passerelle-web",
        "iat": now,
        "exp": now + 300,
        "preferred_username": "anne",
        "mission": "mirec",
        "roles": ["counsellor"],
        "scope": "openid profile",
    }
    good = jwt.encode(claims, private, algorithm="RS256")
    # Authenticated and inside the Mission wall: the policy's 403 on a director's action, not a 401.
    assert (
        client.delete("/missions/mirec/beneficiaries/b-1", headers={"Authorization": f"Bearer {good}"}).status_code
        == 403
    )
    confused = jwt.encode(claims, DEV_SECRET, algorithm="HS256")
    header, payload, _ = confused.split(".")
    signature = jwt.utils.base64url_encode(
        hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    ).decode()
    for token in (f"{header}.{payload}.{signature}", jwt.encode(claims, DEV_SECRET, algorithm="HS256")):
        assert (
            client.get("/missions/mirec/beneficiaries", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        )
    key_file = {"PASSERELLE_JWT_PUBLIC_KEY_FILE": str(tmp_path / "idp.pem")}
    with pytest.raises(ConfigError, match="development tokens are HS256"):
        mint("anne", "mirec", ["counsellor"], environ={**DEVELOPMENT, **key_file})
    with pytest.raises(ConfigError, match="development tokens only"):
        mint("anne", "mirec", ["counsellor"], environ=key_file)
    app.rpc_clients.close()


class _BrokerGone:
    """A site whose call fails with ``error``: a broker connection lost mid-call, as during a broker restart,
    or a service's refusal crossed over RPC (a fake: unit test)."""

    def __init__(self, error):
        self.error = error

    def call(self, *args, **kwargs):
        raise self.error

    def close(self):
        pass


@pytest.mark.parametrize(
    "error",
    [
        amqp.exceptions.RecoverableConnectionError("connection lost"),
        kombu.exceptions.OperationalError("[Errno 111] Connection refused"),
        ConnectionResetError(104, "reset"),
    ],
    ids=type,
)
def test_a_broker_gone_mid_call_is_503_never_500(error):
    gateway = Gateway(registry.load(), environ={**DEVELOPMENT, "PASSERELLE_RATE_BURST": "100000"})
    gateway.rpc_clients.close()
    gateway.rpc_clients = _BrokerGone(error)
    reply = Client(gateway).get("/missions/mirec/beneficiaries", headers=auth())
    assert reply.status_code == 503
    assert reply.headers["Content-Type"] == "application/problem+json"


def test_heavy_work_refused_is_503_with_retry_after_and_work_past_its_deadline_504():
    from kit.errors import Busy, DeadlineExceeded

    gateway = Gateway(registry.load(), environ={**DEVELOPMENT, "PASSERELLE_RATE_BURST": "100000"})
    gateway.rpc_clients.close()
    analyst = {"Authorization": f"Bearer {mint('ines', 'intermire', ['intermire_analyst'])}"}
    path = "/intermire/indicators/people_accompanied?period=2026&columns=municipality"
    gateway.rpc_clients = _BrokerGone(Busy("2 heavy computations already running", 4))
    reply = Client(gateway).get(path, headers=analyst)
    assert (reply.status_code, reply.headers["Retry-After"]) == (503, "4")
    assert reply.headers["Content-Type"] == "application/problem+json"
    gateway.rpc_clients = _BrokerGone(DeadlineExceeded("deadline passed"))
    assert Client(gateway).get(path, headers=analyst).status_code == 504
