"""Bearer JWT authentication.

Tokens are checked for signature, issuer, audience and expiry. Production
uses RS256 with the identity provider's JWKS (``PASSERELLE_JWT_JWKS_URL``)
or a PEM public key file (``PASSERELLE_JWT_PUBLIC_KEY_FILE``); development
uses HS256 with ``PASSERELLE_JWT_SECRET``. Only the configured algorithm is
accepted, so ``alg: none`` and algorithm-confusion tokens fail.

Claims: ``sub`` (who), ``mission`` (the Mission code, or ``intermire``),
``roles`` (a list, or a space-separated string). ``gateway/README.md`` says
how an OIDC provider such as Keycloak maps its users to these claims (a user
attribute for ``mission``, the client roles for ``roles``, an audience
mapper for ``aud``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import jwt

from kit.actor import Actor

DEFAULT_ISSUER = "passerelle-dev"
DEFAULT_AUDIENCE = "passerelle"
DEV_SECRET = "embedded-development-jwt-secret-change-me"


class Unauthenticated(Exception):
    """No valid token; the message says why, without echoing the token."""


@dataclass(frozen=True)
class AuthConfig:
    issuer: str
    audience: str
    algorithm: str
    key: object | None = None
    jwks_url: str | None = None

    @classmethod
    def from_env(cls, environ=None) -> AuthConfig:
        env = os.environ if environ is None else environ
        issuer = env.get("PASSERELLE_JWT_ISSUER", DEFAULT_ISSUER)
        audience = env.get("PASSERELLE_JWT_AUDIENCE", DEFAULT_AUDIENCE)
        if env.get("PASSERELLE_JWT_JWKS_URL"):
            return cls(issuer, audience, "RS256", jwks_url=env["PASSERELLE_JWT_JWKS_URL"])
        if env.get("PASSERELLE_JWT_PUBLIC_KEY_FILE"):
            with open(env["PASSERELLE_JWT_PUBLIC_KEY_FILE"], "rb") as f:
                return cls(issuer, audience, "RS256", key=f.read())
        return cls(issuer, audience, "HS256", key=env.get("PASSERELLE_JWT_SECRET", DEV_SECRET))


class Authenticator:
    def __init__(self, config: AuthConfig):
        self.config = config
        self._jwks = jwt.PyJWKClient(config.jwks_url) if config.jwks_url else None

    def actor(self, authorization: str | None) -> Actor:
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthenticated("a bearer token is required")
        token = authorization[len("Bearer ") :].strip()
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key if self._jwks else self.config.key
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.config.algorithm],
                audience=self.config.audience,
                issuer=self.config.issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("the token is not for this audience") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("the token's issuer is not trusted") from None
        except jwt.PyJWTError:
            raise Unauthenticated("the token is not valid") from None
        roles = claims.get("roles") or []
        if isinstance(roles, str):
            roles = roles.split()
        mission = claims.get("mission")
        if not isinstance(mission, str) or not roles:
            raise Unauthenticated("the token names no mission or no roles")
        return Actor(str(claims["sub"]), mission, tuple(str(r) for r in roles))


def mint(sub: str, mission: str, roles: list[str], ttl: int = 3600, environ=None) -> str:
    """A development token (HS256 with the development secret): ``passerelle token``."""
    config = AuthConfig.from_env(environ)
    if config.algorithm != "HS256":
        raise ValueError("development tokens are HS256; this gateway is configured for an identity provider")
    now = int(time.time())
    return jwt.encode(
        {
            "sub": sub,
            "mission": mission,
            "roles": roles,
            "iss": config.issuer,
            "aud": config.audience,
            "iat": now,
            "exp": now + ttl,
        },
        config.key,
        algorithm="HS256",
    )
