"""Identity in production: RS256 access tokens shaped as Keycloak issues them with gateway/README.md's mappers,
verified through a JWKS that this test serves over HTTP on loopback, as a provider's ``certs`` endpoint.

Keycloak itself cannot be run here (its distribution cannot be downloaded on this machine): the tokens
are built claim for claim as its mappers write them (a ``mission`` user attribute, the client roles
flattened into ``roles``, an audience mapper adding ``passerelle`` to ``aud``), signed by keys the
JWKS lists under their ``kid``. The gateway runs outside development mode (issuer, audience and JWKS
URL required). No broker is needed: every request here is decided before any RPC.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import eventlet
import eventlet.wsgi
import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.test import Client

from gateway.app import Gateway
from gateway.auth import AuthConfig, Authenticator, Unauthenticated, mint
from kit import registry
from tests.harness import ROOT, free_port, terminate, wait_until

ISSUER = "http://127.0.0.1/realms/mire"  # any string: the gateway compares it, never fetches it
CERTS = "/realms/mire/protocol/openid-connect/certs"


class Provider:
    """A JWKS endpoint on a loopback port, serving the public halves of the keys it holds."""

    def __init__(self):
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0
        self.down = False
        self.sock = eventlet.listen(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}{CERTS}"
        self.thread = eventlet.spawn(eventlet.wsgi.server, self.sock, self.app, log_output=False)

    def add_key(self) -> str:
        kid = uuid.uuid4().hex[:12]
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return kid

    def app(self, environ, start_response):
        if self.down or environ["PATH_INFO"] != CERTS:
            start_response("503 Service Unavailable" if self.down else "404 Not Found", [])
            return [b""]
        self.fetches += 1
        keys = []
        for kid, private in self.keys.items():
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"keys": keys}).encode()]

    def token(self, kid: str, key=None, **overrides) -> str:
        """An access token as Keycloak issues it with gateway/README.md's three mappers."""
        now = int(time.time())
        claims = {
            "exp": now + 300,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "iss": ISSUER,
            "aud": ["passerelle", "account"],  # the audience mapper adds passerelle beside Keycloak's own
            "sub": "5f0c2a4e-7d1b-4c2e-9a57-0d7e1f3b2c11",
            "typ": "Bearer",
            "azp": "passerelle-web",
            "scope": "openid profile email",
            "preferred_username": "anne.counsellor",
            "mission": "mirec",  # User Attribute mapper: user (or group) attribute mission
            "roles": ["counsellor", "social_worker"],  # User Client Role mapper, client passerelle, claim roles
            "resource_access": {
                "passerelle": {"roles": ["counsellor", "social_worker"]},
                "account": {"roles": ["manage-account"]},
            },
            "realm_access": {"roles": ["offline_access", "uma_authorization"]},
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key or self.keys[kid], algorithm="RS256", headers={"kid": kid})

    def close(self):
        self.thread.kill()
        self.sock.close()


@pytest.fixture
def provider():
    p = Provider()
    yield p
    p.close()


def production(provider) -> dict:
    return {
        "PASSERELLE_JWT_ISSUER": ISSUER,
        "PASSERELLE_JWT_AUDIENCE": "passerelle",
        "PASSERELLE_JWT_JWKS_URL": provider.url,
        "PASSERELLE_RATE_BURST": "100000",
    }


@pytest.fixture
def gateway(provider):
    g = Gateway(registry.load(), environ=production(provider))
    assert g.auth.config.algorithm == "RS256" and g.auth.config.jwks_url == provider.url
    yield g
    g.rpc_clients.close()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_keycloak_mapping_gives_the_actor(provider):
    kid = provider.add_key()
    auth = Authenticator(AuthConfig.from_env(production(provider)))
    actor = auth.actor("Bearer " + provider.token(kid))
    assert (actor.sub, actor.mission, actor.roles) == (
        "5f0c2a4e-7d1b-4c2e-9a57-0d7e1f3b2c11",
        "mirec",
        ("counsellor", "social_worker"),
    )
    analyst = auth.actor("Bearer " + provider.token(kid, mission="intermire", roles=["intermire_analyst"]))
    assert (analyst.mission, analyst.roles) == ("intermire", ("intermire_analyst",))
    # Without the client-role mapper Keycloak nests the roles under resource_access: not read, refused.
    with pytest.raises(Unauthenticated, match="no mission or no roles"):
        auth.actor("Bearer " + provider.token(kid, roles=None))
    # Without the user-attribute mapper there is no mission claim: refused.
    with pytest.raises(Unauthenticated, match="no mission or no roles"):
        auth.actor("Bearer " + provider.token(kid, mission=None))
    assert provider.fetches == 1  # the key set is cached


def test_tokens_over_http(gateway, provider):
    kid = provider.add_key()
    client = Client(gateway)
    # Accepted: past authentication into the policy (a counsellor may not delete a file: 403, not 401) ...
    deleted = client.delete("/missions/mirec/beneficiaries/b-1", headers=bearer(provider.token(kid)))
    assert deleted.status_code == 403
    # ... and past the policy into validation for a role that may (refused before any RPC: page 0).
    director = provider.token(kid, roles=["director"])
    assert client.get("/missions/mirec/employers?page=0", headers=bearer(director)).status_code == 422
    # The Mission wall holds with provider tokens too.
    assert client.get("/missions/mirena/employers?page=0", headers=bearer(director)).status_code == 404

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused = {
        "expired": provider.token(kid, exp=int(time.time()) - 60, iat=int(time.time()) - 400),
        "other audience": provider.token(kid, aud=["account", "another-client"]),
        "other issuer": provider.token(kid, iss="http://127.0.0.1/realms/elsewhere"),
        "unknown kid": provider.token("not-a-listed-kid", key=stranger),
        "listed kid, other key": provider.token(kid, key=stranger),
        "no expiry": provider.token(kid, exp=None),
        "HS256 with a guessed secret": jwt.encode(
            {
                "sub": "x",
                "iss": ISSUER,
                "aud": "passerelle",
                "exp": int(time.time()) + 60,
                "mission": "mirec",
                "roles": ["director"],
            },
            "a-guessed-secret-of-thirty-two-bytes",
            algorithm="HS256",
            headers={"kid": kid},
        ),
    }
    details = {}
    for name, token in refused.items():
        reply = client.get("/missions/mirec/employers?page=0", headers=bearer(token))
        assert reply.status_code == 401, name
        assert reply.headers["Content-Type"] == "application/problem+json" and "WWW-Authenticate" in reply.headers
        details[name] = reply.json["detail"]
    assert details["expired"] == "the token has expired"
    assert details["other audience"] == "the token is not for this audience"
    assert details["other issuer"] == "the token's issuer is not trusted"
    assert "does not list" in details["unknown kid"]


def test_a_key_rotated_in_at_the_provider_is_fetched_once(provider):
    first = provider.add_key()
    auth = Authenticator(AuthConfig("passerelle", "passerelle", "RS256", jwks_url=provider.url, jwks_cooldown=0.5))
    auth.actor("Bearer " + provider.token(first, iss="passerelle", aud="passerelle"))
    assert provider.fetches == 1
    eventlet.sleep(0.6)
    second = provider.add_key()  # the provider rotates: a new kid signs from now on
    auth.actor("Bearer " + provider.token(second, iss="passerelle", aud="passerelle"))
    assert provider.fetches == 2
    # Made-up key ids within the cooldown of that refresh cost the provider nothing.
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            auth.actor(
                "Bearer " + provider.token("made-up", key=provider.keys[first], iss="passerelle", aud="passerelle")
            )
    assert provider.fetches == 2


def test_a_provider_that_cannot_be_reached_is_503_not_401(gateway, provider):
    kid = provider.add_key()
    provider.down = True
    reply = Client(gateway).get("/missions/mirec/employers?page=0", headers=bearer(provider.token(kid)))
    assert reply.status_code == 503 and reply.headers["Content-Type"] == "application/problem+json"


@pytest.mark.slow  # starts a gateway process
def test_a_production_gateway_process_takes_provider_tokens_only(provider, tmp_path):
    """``passerelle run-gateway`` outside development mode, configured as a deployment would be."""
    kid = provider.add_key()
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "PASSERELLE_ENV" and not k.startswith(("PASSERELLE_JWT_", "PASSERELLE_BROKER_"))
    }
    env.update(
        production(provider),
        PASSERELLE_SECTOR_KEY="a-key-from-a-kubernetes-secret",
        PASSERELLE_BROKER_PASSWORD__GATEWAY="from-a-secret",
        PASSERELLE_BROKER_PORT="1",
        PASSERELLE_GATEWAY_PORT=str(port),
        PASSERELLE_DATA_DIR=str(tmp_path),
        PASSERELLE_REGISTRY="",
    )
    log = tmp_path / "gateway.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "runtime.cli", "run-gateway"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    url = f"http://127.0.0.1:{port}/missions/mirec/employers?page=0"
    try:

        def answers():
            assert proc.poll() is None, log.read_text()
            try:
                return requests.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).status_code == 200
            except requests.RequestException:
                return False

        wait_until(answers, 60, what="the production gateway")
        director = provider.token(kid, roles=["director"])
        assert requests.get(url, headers=bearer(director), timeout=10).status_code == 422
        development = mint("dora", "mirec", ["director"], environ={"PASSERELLE_ENV": "development"})
        refused = requests.get(url, headers=bearer(development), timeout=10)
        assert refused.status_code == 401 and refused.headers["Content-Type"] == "application/problem+json"
    finally:
        terminate(proc)
