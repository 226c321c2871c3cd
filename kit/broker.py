"""Broker principals, their passwords and the AMQP URIs built from them.

Every service of every site connects as its own broker user, with only the
permissions it needs (see ``kit.topology``). In production each password is
given through ``PASSERELLE_BROKER_PASSWORD__<USER>`` (user upper-cased, every
character outside A-Z0-9 replaced by ``_``). The embedded default derives
them from the registry's broker secret, so that ``broker-setup`` and the
processes agree without a password file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from urllib.parse import quote


def env_name(user: str) -> str:
    return "PASSERELLE_BROKER_PASSWORD__" + re.sub(r"[^A-Z0-9]", "_", user.upper())


def password_for(user: str, secret: str) -> str:
    explicit = os.environ.get(env_name(user))
    if explicit:
        return explicit
    digest = hmac.new(secret.encode(), user.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def amqp_uri(host: str, port: int, vhost: str, user: str, password: str) -> str:
    return "amqp://{}:{}@{}:{}/{}".format(
        quote(user, safe=""), quote(password, safe=""), host, port, quote(vhost, safe="")
    )
