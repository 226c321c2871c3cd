"""Development or production: which built-in defaults a process may fall back on.

The embedded default (``passerelle up``) and the tests run in development mode,
which they turn on explicitly with ``PASSERELLE_ENV=development``. Only then may
a process use the development secrets written in the code (a derived broker
password, the development JWT secret, the development sector key) or show the
demo sign-in page. Anywhere else a missing secret is a configuration error that
stops the process at start with one line naming the setting, so a deployment
that forgot a Secret fails loudly instead of running on a key anyone with the
repository knows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from kit.config import ConfigError

ENV = "PASSERELLE_ENV"
DEVELOPMENT = "development"


def is_development(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get(ENV, "").strip().lower() == DEVELOPMENT


def secret(name: str, development_default: str, environ: Mapping[str, str] | None = None) -> str:
    """The value of setting ``name``; its development default only in development mode.

    Raises ``ConfigError`` naming the setting when it is unset (or empty) outside development mode.
    """
    env = os.environ if environ is None else environ
    value = env.get(name, "")
    if value:
        return value
    if is_development(env):
        return development_default
    raise ConfigError(f"{name} is not set (required outside development mode; {ENV}={DEVELOPMENT} only for local use)")
