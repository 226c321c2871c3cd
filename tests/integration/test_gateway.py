"""The gateway: authentication, the Mission wall, the policy table, limits and errors, on running services.

The gateway runs in the test process (its WSGI app, through werkzeug's test
client) and calls the real site processes over the real broker.
"""

import json
import time

import jwt
import pytest
from openapi_spec_validator import validate
from werkzeug.test import Client

from gateway.app import Gateway
from gateway.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_SECRET, mint
from gateway.routes import ROUTES
from kit.demo import DemoFactory
from kit.policy import POLICY

pytestmark = pytest.mark.integration
ROLES = sorted({role for roles in POLICY.values() for role in roles} | {"forem", "actiris"})


def auth(sub="anne", mission="mirec", roles=("counsellor",)):
    return {"Authorization": f"Bearer {mint(sub, mission, list(roles))}"}


@pytest.fixture
def gateway(platform):
    platform.start("mirec", services=["beneficiary", "employer", "reporting"])
    platform.start("intermire")
    app = Gateway(platform.registry, environ={"PASSERELLE_RATE_PER_SECOND": "10000", "PASSERELLE_RATE_BURST": "10000",
                                              "PASSERELLE_MAX_BODY": "65536"})
    yield platform, Client(app)
    app.sites.close()


def concrete(path: str, code: str) -> str:
    return (path.replace("<code>", code).replace("<id>", "00000000-0000-0000-0000-000000000000")
            .replace("<agency>", "forem"))


def test_authorisation_matrix_has_no_unexpected_allow(gateway):
    platform, client = gateway
    cells, unexpected_allows, unexpected_denies = 0, [], []
    for route in ROUTES:
        for role in ROLES:
            for owner in ("own", "other"):
                if route.scope == "intermire":
                    mission = "intermire" if owner == "own" else "mirec"
                else:
                    mission = "mirec" if owner == "own" else "mirena"
                path = concrete(route.path, "mirec")
                reply = client.open(path, method=route.method, headers=auth(f"t-{role}", mission, [role]),
                                    data="{}", content_type="application/json")
                cells += 1
                allowed = owner == "own" and role in POLICY[route.action]
                reached = reply.status_code not in (401, 403) and not (
                    reply.status_code == 404 and reply.json["detail"] == "no such resource")
                if reached and not allowed:
                    unexpected_allows.append((route.method, route.path, role, owner, reply.status_code))
                if allowed and not reached:
                    unexpected_denies.append((route.method, route.path, role, owner, reply.status_code))
    print(f"authorisation matrix: {cells} cells")
    assert cells == len(ROUTES) * len(ROLES) * 2
    assert unexpected_allows == []
    assert unexpected_denies == []


def test_a_path_through_http_with_field_errors_and_problem_details(gateway):
    platform, client = gateway
    person = DemoFactory(seed=61).beneficiary("50000")
    created = client.post("/missions/mirec/beneficiaries", json=person, headers=auth())
    assert created.status_code == 201
    pid = created.json["id"]
    again = client.post("/missions/mirec/beneficiaries", json=person, headers=auth())
    assert again.status_code == 409 and again.json["existing"] == pid
    assert again.headers["Content-Type"] == "application/problem+json"

    bad = client.post("/missions/mirec/beneficiaries", json=dict(person, niss="12345678901", birth_date="2999-01-01",
                                                                  status="exited"), headers=auth())
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"niss", "status"}  # the date check waits for valid fields
    assert "12345678901" not in bad.get_data(as_text=True)

    got = client.get(f"/missions/mirec/beneficiaries/{pid}?purpose=orientation", headers=auth())
    assert got.status_code == 200 and got.json["last_name"] == person["last_name"]
    # Another Mission's counsellor: the file does not exist for them.
    assert client.get(f"/missions/mirec/beneficiaries/{pid}", headers=auth(mission="mirena")).status_code == 404
    # A project lead may read the file but not the social notes.
    note = client.post(f"/missions/mirec/beneficiaries/{pid}/notes/social", json={"text": "confidentiel"},
                       headers=auth("sami", roles=("social_worker",)))
    assert note.status_code == 201
    assert client.get(f"/missions/mirec/beneficiaries/{pid}/notes/social",
                      headers=auth("paula", roles=("project_lead",))).status_code == 403
    listed = client.get("/missions/mirec/beneficiaries?page=1&page_size=10", headers=auth())
    assert listed.status_code == 200 and listed.json["total"] == 1
    assert client.get("/missions/mirec/beneficiaries?page_size=1000", headers=auth()).status_code == 422
    indicators = client.get("/intermire/indicators", headers=auth("ines", "intermire", ("intermire_analyst",)))
    assert indicators.status_code == 200 and "people" in indicators.json


def test_bad_tokens_are_refused(gateway):
    _, client = gateway
    now = int(time.time())
    claims = {"sub": "anne", "mission": "mirec", "roles": ["counsellor"], "iss": DEFAULT_ISSUER,
              "aud": DEFAULT_AUDIENCE, "iat": now, "exp": now + 600}
    good = jwt.encode(claims, DEV_SECRET, algorithm="HS256")
    header, payload, signature = good.split(".")
    tampered_payload = jwt.utils.base64url_encode(json.dumps(dict(claims, mission="mirena")).encode()).decode()
    tokens = {
        "missing": None,
        "expired": jwt.encode(dict(claims, exp=now - 10), DEV_SECRET, algorithm="HS256"),
        "wrong audience": jwt.encode(dict(claims, aud="someone-else"), DEV_SECRET, algorithm="HS256"),
        "wrong issuer": jwt.encode(dict(claims, iss="evil"), DEV_SECRET, algorithm="HS256"),
        "alg none": jwt.encode(claims, None, algorithm="none"),
        "tampered": f"{header}.{tampered_payload}.{signature}",
        "other key": jwt.encode(claims, "not-the-secret-at-all-but-long-enough", algorithm="HS256"),
        "no roles": jwt.encode(dict(claims, roles=[]), DEV_SECRET, algorithm="HS256"),
    }
    for name, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        reply = client.get("/missions/mirec/beneficiaries", headers=headers)
        assert reply.status_code == 401, name
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/missions/mirec/beneficiaries", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_limits_body_rate_and_upstream_timeout(platform):
    platform.start("mirec", services=["beneficiary"])
    stopped = platform.start("mirec", services=["employer"])
    stopped.stop()  # its queue stays: calls wait, then time out
    app = Gateway(platform.registry, environ={"PASSERELLE_RATE_PER_SECOND": "0.01", "PASSERELLE_RATE_BURST": "3",
                                              "PASSERELLE_MAX_BODY": "1000"})
    client = Client(app)
    try:
        huge = client.post("/missions/mirec/beneficiaries", data="x" * 5000, content_type="application/json",
                           headers=auth("big"))
        assert huge.status_code == 413
        timeout = client.get("/missions/mirec/employers", headers=auth("slow", roles=("employer_relations",)))
        assert timeout.status_code == 504
        statuses = [client.get("/missions/mirec/beneficiaries", headers=auth("busy")).status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    finally:
        app.sites.close()


def test_openapi_document_is_valid_and_served(gateway):
    _, client = gateway
    document = client.get("/openapi.json").json
    validate(document)
    assert document["openapi"] == "3.1.0"
    operations = sum(len(ops) for path, ops in document["paths"].items() if path != "/health")
    assert operations == len(ROUTES)
    assert "Passerelle API" in client.get("/docs").get_data(as_text=True)
