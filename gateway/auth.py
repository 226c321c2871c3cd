"""Bearer JWT authentication.

Tokens are checked for signature, issuer, audience and expiry. Production
uses RS256 with the identity provider's JWKS (``PASSERELLE_JWT_JWKS_URL``)
or a PEM public key file (``PASSERELLE_JWT_PUBLIC_KEY_FILE``), and needs
``PASSERELLE_JWT_ISSUER`` and ``PASSERELLE_JWT_AUDIENCE``: outside
development mode (``kit.mode``) a gateway missing one of them stops at start
with one line naming it. Development mode alone may use HS256 with
``PASSERELLE_JWT_SECRET`` (or the development secret written below), the
default issuer and audience, and ``mint`` (``passerelle token``), which
refuses anywhere else. Only the configured algorithm is accepted, so
``alg: none`` and algorithm-confusion tokens fail.

A verified token is remembered (``VerifiedTokens``): the same token again within
``PASSERELLE_JWT_CACHE_SECONDS`` (30 s; 0 turns it off), and never past its own
``exp``, gives the same identity without checking its signature again — a
client sends its token on every request, and the signature check was the
largest part of the gateway's own CPU per request after the RPC. The cache is
keyed by the token's SHA-256 and bounded (least recently used out first); a
token refused is never remembered, so it is checked again each time. What
this gives up: a key withdrawn at the provider still lets a token it signed
through for at most those 30 s.

Claims: ``sub`` (who), ``mission`` (the Mission code, or ``intermire``),
``roles`` (a list, or a space-separated string), and for the ``partner`` role
``organisation`` (the partner directory's id of the organisation the user works
for). A partner token without an organisation, or with another role beside
``partner``, is refused: a partner sees only what its organisation did, and a
token that mixed it with a staff role would blur that line. ``gateway/README.md`` says
how an OIDC provider such as Keycloak maps its users to these claims (a user
attribute for ``mission``, the client roles for ``roles``, an audience
mapper for ``aud``).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

import jwt

from kit import mode
from kit.actor import PARTNER, Actor
from kit.config import ConfigError

DEFAULT_ISSUER = "passerelle-dev"
DEFAULT_AUDIENCE = "passerelle"
DEV_SECRET = "embedded-development-jwt-secret-change-me"


class Unauthenticated(Exception):
    """No valid token; the message says why, without echoing the token."""


class ProviderUnavailable(Exception):
    """The identity provider's keys cannot be fetched: the gateway's trouble, not the caller's (503)."""


@dataclass(frozen=True)
class AuthConfig:
    issuer: str
    audience: str
    algorithm: str
    key: object | None = None
    jwks_url: str | None = None
    # An unknown ``kid`` makes the gateway fetch the JWKS again (the provider rotated its keys), at most once
    # per this many seconds, so that made-up key ids cannot turn the gateway against its provider.
    jwks_cooldown: float = 30.0
    # How long a verified token is remembered (never past its expiry); 0: each request checks its signature.
    cache_seconds: float = 30.0

    @classmethod
    def from_env(cls, environ=None) -> AuthConfig:
        """The gateway's token settings; ``ConfigError`` naming the first one missing outside development."""
        env = os.environ if environ is None else environ
        config = cls._from_env(env)
        cache = env.get("PASSERELLE_JWT_CACHE_SECONDS", "").strip()
        if not cache:
            return config
        try:
            seconds = float(cache)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= 300:
            raise ConfigError(f"PASSERELLE_JWT_CACHE_SECONDS must be between 0 and 300 seconds, not {cache!r}")
        return replace(config, cache_seconds=seconds)

    @classmethod
    def _from_env(cls, env) -> AuthConfig:
        issuer = mode.secret("PASSERELLE_JWT_ISSUER", DEFAULT_ISSUER, env)
        audience = mode.secret("PASSERELLE_JWT_AUDIENCE", DEFAULT_AUDIENCE, env)
        if env.get("PASSERELLE_JWT_JWKS_URL"):
            return cls(issuer, audience, "RS256", jwks_url=env["PASSERELLE_JWT_JWKS_URL"])
        if env.get("PASSERELLE_JWT_PUBLIC_KEY_FILE"):
            path = env["PASSERELLE_JWT_PUBLIC_KEY_FILE"]
            try:
                with open(path, "rb") as f:
                    return cls(issuer, audience, "RS256", key=f.read())
            except OSError as exc:
                raise ConfigError(f"PASSERELLE_JWT_PUBLIC_KEY_FILE {path} cannot be read: {exc.strerror}") from None
        if not mode.is_development(env):
            # A shared HS256 secret lets whoever holds it mint any token: identity-provider keys only.
            raise ConfigError(
                "PASSERELLE_JWT_JWKS_URL (or PASSERELLE_JWT_PUBLIC_KEY_FILE) is not set (required outside "
                f"development mode; {mode.ENV}={mode.DEVELOPMENT} only for local use)"
            )
        return cls(issuer, audience, "HS256", key=mode.secret("PASSERELLE_JWT_SECRET", DEV_SECRET, env))


class VerifiedTokens:
    """Identities of tokens verified lately, by the token's SHA-256, each until its own expiry or ``life``."""

    def __init__(self, life: float, size: int = 4096):
        self.life, self.size = life, size
        self._known: OrderedDict[bytes, tuple[Actor, float]] = OrderedDict()

    @staticmethod
    def key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, key: bytes, now: float) -> Actor | None:
        found = self._known.get(key)
        if found is None:
            return None
        actor, until = found
        if now >= until:
            del self._known[key]
            return None
        self._known.move_to_end(key)
        return actor

    def put(self, key: bytes, actor: Actor, expires: float, now: float) -> None:
        until = min(now + self.life, expires)
        if self.life <= 0 or until <= now:
            return
        self._known[key] = (actor, until)
        self._known.move_to_end(key)
        while len(self._known) > self.size:
            self._known.popitem(last=False)

    def __len__(self) -> int:
        return len(self._known)


class Authenticator:
    def __init__(self, config: AuthConfig):
        self.config = config
        self.verified = VerifiedTokens(config.cache_seconds)
        self._jwks = (
            jwt.PyJWKClient(config.jwks_url, lifespan=300, timeout=5, cooldown_duration=config.jwks_cooldown)
            if config.jwks_url
            else None
        )

    def actor(self, authorization: str | None) -> Actor:
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthenticated("a bearer token is required")
        token = authorization[len("Bearer ") :].strip()
        key, now = self.verified.key(token), time.time()
        known = self.verified.get(key, now)
        if known is not None:
            return known
        actor, expires = self._verify(token)
        self.verified.put(key, actor, expires, now)
        return actor

    def _verify(self, token: str) -> tuple[Actor, float]:
        """The token's actor and expiry (epoch seconds), its signature and claims checked."""
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
        except jwt.PyJWKClientConnectionError:
            raise ProviderUnavailable("the identity provider's keys cannot be fetched") from None
        except jwt.PyJWKClientError:
            raise Unauthenticated("the token is signed by a key the identity provider does not list") from None
        except jwt.PyJWTError:
            raise Unauthenticated("the token is not valid") from None
        roles = claims.get("roles") or []
        if isinstance(roles, str):
            roles = roles.split()
        mission = claims.get("mission")
        if not isinstance(mission, str) or not roles:
            raise Unauthenticated("the token names no mission or no roles")
        roles = tuple(str(r) for r in roles)
        return Actor(str(claims["sub"]), mission, roles, partner_organisation(roles, claims)), float(claims["exp"])


def partner_organisation(roles: tuple[str, ...], claims: dict) -> str | None:
    """The organisation a partner token acts for; None for any other token (the claim is a partner's only)."""
    if PARTNER not in roles:
        return None
    if len(roles) > 1:
        raise Unauthenticated("a partner token carries the partner role alone")
    organisation = claims.get("organisation")
    if not isinstance(organisation, str) or not organisation.strip() or len(organisation) > 64:
        raise Unauthenticated("a partner token must name its organisation (claim 'organisation')")
    return organisation.strip()


def mint(
    sub: str, mission: str, roles: list[str], ttl: int = 3600, environ=None, organisation: str | None = None
) -> str:
    """A development token (HS256 with the development secret): ``passerelle token``, development mode only."""
    env = os.environ if environ is None else environ
    if not mode.is_development(env):
        raise ConfigError(
            f"passerelle token mints development tokens only ({mode.ENV}={mode.DEVELOPMENT}); "
            "outside development tokens come from the identity provider"
        )
    config = AuthConfig.from_env(env)
    if config.algorithm != "HS256":
        raise ConfigError("development tokens are HS256; this gateway is configured for an identity provider")
    now = int(time.time())
    claims = {
        "sub": sub,
        "mission": mission,
        "roles": roles,
        "iss": config.issuer,
        "aud": config.audience,
        "iat": now,
        "exp": now + ttl,
    }
    if organisation:
        claims["organisation"] = organisation
    return jwt.encode(
        claims,
        config.key,
        algorithm="HS256",
    )
