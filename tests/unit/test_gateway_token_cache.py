"""The gateway's verified-token cache: a token's signature is checked once in a short while, never trusted past
its own expiry, the cache stays bounded, and a refused token is never remembered."""

from __future__ import annotations

import time

import jwt
import pytest

from gateway import auth as auth_module
from gateway.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_SECRET, AuthConfig, Authenticator, Unauthenticated
from kit.config import ConfigError

DEVELOPMENT = {"PASSERELLE_ENV": "development"}


def token(sub="anne", exp_in=600, **claims) -> str:
    now = int(time.time())
    body = {
        "sub": sub,
        "mission": "mirec",
        "roles": ["counsellor"],
        "iss": DEFAULT_ISSUER,
        "aud": DEFAULT_AUDIENCE,
        "iat": now,
        "exp": now + exp_in,
        **claims,
    }
    return jwt.encode(body, DEV_SECRET, algorithm="HS256")


@pytest.fixture
def decodes(monkeypatch):
    """How many times the authenticator checked a signature."""
    calls = []
    real = auth_module.jwt.decode

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(auth_module.jwt, "decode", counting)
    return calls


class Clock:
    def __init__(self, monkeypatch):
        self.now = time.time()
        monkeypatch.setattr(auth_module.time, "time", lambda: self.now)


def test_a_token_is_verified_once_within_the_cache_life(decodes):
    authenticator = Authenticator(AuthConfig.from_env(DEVELOPMENT))
    bearer = f"Bearer {token()}"
    first = authenticator.actor(bearer)
    again = [authenticator.actor(bearer) for _ in range(5)]
    assert len(decodes) == 1
    assert all(actor == first for actor in again)
    assert (first.sub, first.mission, first.roles) == ("anne", "mirec", ("counsellor",))
    authenticator.actor(f"Bearer {token(sub='bruno')}")  # another token: checked on its own
    assert len(decodes) == 2


def test_a_cached_token_is_checked_again_after_the_cache_life(monkeypatch, decodes):
    clock = Clock(monkeypatch)
    authenticator = Authenticator(AuthConfig.from_env({**DEVELOPMENT, "PASSERELLE_JWT_CACHE_SECONDS": "5"}))
    bearer = f"Bearer {token()}"
    authenticator.actor(bearer)
    clock.now += 4.9
    authenticator.actor(bearer)
    assert len(decodes) == 1
    clock.now += 0.2
    authenticator.actor(bearer)
    assert len(decodes) == 2


def test_a_cached_token_is_refused_once_it_has_expired(monkeypatch):
    clock = Clock(monkeypatch)
    authenticator = Authenticator(AuthConfig.from_env(DEVELOPMENT))  # 30 s of cache, the token 3 s of life
    bearer = f"Bearer {token(exp_in=3)}"
    authenticator.actor(bearer)
    clock.now += 1
    authenticator.actor(bearer)
    # PyJWT reads its own clock: past the expiry by ours and by its, the token is checked again and refused.
    clock.now += 10
    monkeypatch.setattr(jwt.api_jwt, "datetime", _Later(clock))
    with pytest.raises(Unauthenticated, match="expired"):
        authenticator.actor(bearer)


class _Later:
    """``datetime`` as PyJWT uses it, at the test's clock."""

    def __init__(self, clock):
        import datetime

        self._dt, self.clock = datetime.datetime, clock

    def now(self, tz=None):
        return self._dt.fromtimestamp(self.clock.now, tz)

    def __getattr__(self, name):
        return getattr(self._dt, name)


def test_refused_tokens_are_not_remembered_and_the_cache_is_bounded(decodes):
    authenticator = Authenticator(AuthConfig.from_env(DEVELOPMENT))
    authenticator.verified.size = 3
    forged = f"Bearer {jwt.encode({'sub': 'x'}, 'not-the-secret-at-all-but-long-enough', algorithm='HS256')}"
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            authenticator.actor(forged)
    assert len(decodes) == 3 and len(authenticator.verified) == 0
    for n in range(5):
        authenticator.actor(f"Bearer {token(sub=f'user{n}')}")
    assert len(authenticator.verified) == 3


def test_the_cache_can_be_turned_off_and_its_life_is_bounded(decodes):
    authenticator = Authenticator(AuthConfig.from_env({**DEVELOPMENT, "PASSERELLE_JWT_CACHE_SECONDS": "0"}))
    bearer = f"Bearer {token()}"
    authenticator.actor(bearer)
    authenticator.actor(bearer)
    assert len(decodes) == 2
    for wrong in ("-1", "301", "soon"):
        with pytest.raises(ConfigError, match="PASSERELLE_JWT_CACHE_SECONDS"):
            AuthConfig.from_env({**DEVELOPMENT, "PASSERELLE_JWT_CACHE_SECONDS": wrong})
