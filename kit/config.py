"""YAML configuration with ``${ENV:default}`` substitution.

One syntax for every configuration file of the platform (the Mission
registry, a site's process configuration, Alembic): ``${NAME}`` takes the
environment variable ``NAME`` and fails if it is unset, ``${NAME:default}``
falls back to ``default``. Substitution happens on the text before YAML
parsing, so a substituted value is typed by YAML (``${PORT:8000}`` is an int). A default may itself hold
``{placeholders}`` (one level of braces) for templates filled in later.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<default>(?:[^{}]|\{[^{}]*\})*))?\}")


class ConfigError(Exception):
    """A configuration problem, worded as the one line an operator reads."""


def substitute(text: str, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ

    def replace(match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        if name in env:
            return env[name]
        if default is None:
            raise ConfigError(f"environment variable {name} is not set and has no default")
        return default

    return _VARIABLE.sub(replace, text)


def load_yaml(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
    try:
        return yaml.safe_load(substitute(text, environ))
    except yaml.YAMLError as exc:
        raise ConfigError(f"configuration file {path} is not valid YAML: {exc}") from None
