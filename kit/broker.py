"""Broker principals, their passwords and the AMQP URIs built from them.

Every service of every site connects as its own broker user, with only the
permissions it needs (see ``kit.topology``). In production each password is
given through ``PASSERELLE_BROKER_PASSWORD__<USER>`` (user upper-cased, every
character outside A-Z0-9 replaced by ``_``), or derived from a broker secret
given through ``PASSERELLE_BROKER_SECRET`` (the registry's ``broker.secret``),
so that ``broker-setup`` and the processes agree without a password file. The
embedded default derives them from a development secret written below, in
development mode only (``kit.mode``); anywhere else a user with neither
setting stops the process at start with one line naming them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from urllib.parse import quote

from kit import mode
from kit.config import ConfigError

SECRET_ENV = "PASSERELLE_BROKER_SECRET"
_DEVELOPMENT_SECRET = "embedded-development-secret"


def env_name(user: str) -> str:
    return "PASSERELLE_BROKER_PASSWORD__" + re.sub(r"[^A-Z0-9]", "_", user.upper())


def password_for(user: str, secret: str | None = None) -> str:
    """``user``'s password: given explicitly, else derived from ``secret`` (or, in development, the built-in one)."""
    explicit = os.environ.get(env_name(user))
    if explicit:
        return explicit
    if not secret:
        try:
            secret = mode.secret(SECRET_ENV, _DEVELOPMENT_SECRET)
        except ConfigError:
            raise ConfigError(
                f"{env_name(user)} is not set, nor {SECRET_ENV} to derive it from "
                f"(required outside development mode; {mode.ENV}={mode.DEVELOPMENT} only for local use)"
            ) from None
    digest = hmac.new(secret.encode(), user.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def amqp_uri(host: str, port: int, vhost: str, user: str, password: str) -> str:
    return "amqp://{}:{}@{}:{}/{}".format(
        quote(user, safe=""), quote(password, safe=""), host, port, quote(vhost, safe="")
    )
