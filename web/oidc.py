"""Sign-in outside development mode: OpenID Connect authorisation code flow with PKCE.

The identity provider is the one the gateway trusts (Keycloak in production):
its access token is the bearer token the web application sends to the
gateway. Settings (all required outside development mode; a missing one stops
the start with its name):

- ``PASSERELLE_WEB_OIDC_ISSUER``: the issuer URL (its discovery document is read
  from ``<issuer>/.well-known/openid-configuration``);
- ``PASSERELLE_WEB_OIDC_CLIENT_ID``: this application's client id;
- ``PASSERELLE_WEB_OIDC_REDIRECT_URI``: ``https://…/connexion/retour`` as
  registered with the provider (https, except on localhost);
- ``PASSERELLE_WEB_OIDC_CLIENT_SECRET``: optional (a confidential client).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode, urlparse

import jwt
import requests

from kit.config import ConfigError

PREFIX = "PASSERELLE_WEB_OIDC_"


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    redirect_uri: str
    client_secret: str | None = None
    scope: str = "openid profile"

    @classmethod
    def from_env(cls, env) -> OidcConfig:
        values = {}
        for name in ("ISSUER", "CLIENT_ID", "REDIRECT_URI"):
            value = (env.get(PREFIX + name) or "").strip()
            if not value:
                raise ConfigError(
                    f"{PREFIX}{name} is not set (the front office signs in through OpenID Connect "
                    "outside development mode; PASSERELLE_ENV=development only for local use)"
                )
            values[name.lower()] = value
        redirect = urlparse(values["redirect_uri"])
        if redirect.scheme != "https" and redirect.hostname not in ("localhost", "127.0.0.1"):
            raise ConfigError(f"{PREFIX}REDIRECT_URI must be https (it carries the authorisation code)")
        if urlparse(values["issuer"]).scheme not in ("https", "http"):
            raise ConfigError(f"{PREFIX}ISSUER must be an http(s) URL")
        return cls(
            values["issuer"].rstrip("/"),
            values["client_id"],
            values["redirect_uri"],
            env.get(PREFIX + "CLIENT_SECRET") or None,
        )


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) as RFC 7636 describes."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class OidcClient:
    def __init__(self, config: OidcConfig, http: requests.Session | None = None):
        self.config, self.http = config, http or requests.Session()
        self._discovery: dict | None = None

    def discovery(self) -> dict:
        if self._discovery is None:
            reply = self.http.get(self.config.issuer + "/.well-known/openid-configuration", timeout=10)
            reply.raise_for_status()
            self._discovery = reply.json()
        return self._discovery

    def authorization_url(self, pending: dict) -> str:
        """Start the flow: ``pending`` (the session's) keeps state, nonce and verifier for the return."""
        verifier, challenge = pkce_pair()
        pending.update(state=secrets.token_urlsafe(24), nonce=secrets.token_urlsafe(24), verifier=verifier)
        query = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": self.config.redirect_uri,
            "scope": self.config.scope,
            "state": pending["state"],
            "nonce": pending["nonce"],
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return self.discovery()["authorization_endpoint"] + "?" + urlencode(query)

    def finish(self, pending: dict, state: str | None, code: str | None) -> dict:
        """The provider came back: check the state, exchange the code, read the access token's claims.

        Returns the user (sub, mission, roles, token, token_expires_at); raises ValueError when refused."""
        if not state or not code or not secrets.compare_digest(state, pending.get("state", "")):
            raise ValueError("the sign-in answer does not match the request (state)")
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.config.redirect_uri,
            "client_id": self.config.client_id,
            "code_verifier": pending["verifier"],
        }
        auth = (self.config.client_id, self.config.client_secret) if self.config.client_secret else None
        reply = self.http.post(self.discovery()["token_endpoint"], data=data, auth=auth, timeout=10)
        if reply.status_code != 200:
            raise ValueError("the identity provider refused the code")
        tokens = reply.json()
        access = tokens["access_token"]
        # The gateway checks the token's signature on every call; here only who it names is read.
        claims = jwt.decode(access, options={"verify_signature": False})
        if tokens.get("id_token"):
            id_claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
            if id_claims.get("nonce") != pending.get("nonce"):
                raise ValueError("the sign-in answer does not match the request (nonce)")
        roles = claims.get("roles") or []
        if isinstance(roles, str):
            roles = roles.split()
        return {
            "sub": str(claims["sub"]),
            "name": claims.get("name") or str(claims["sub"]),
            "mission": claims.get("mission"),
            "roles": list(roles),
            "token": access,
            "token_expires_at": claims.get("exp"),
        }
