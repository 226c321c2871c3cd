"""What every service does with what it is sent: load it through a schema, bound a page, stamp a time.

Validation errors leave as ``ValidationFailed`` with marshmallow's field-level
messages, which the gateway turns into a problem+json answer field by field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from marshmallow import Schema, ValidationError

from kit.errors import ValidationFailed

MAX_PAGE_SIZE = 100


def load(schema: Schema, payload: Any) -> Any:
    """``schema.load(payload)`` (an absent payload is an empty one), refusals as ``ValidationFailed``."""
    try:
        return schema.load(payload if payload is not None else {})
    except ValidationError as exc:
        # Schema.load reports by field: its messages are a dict (a list comes only from a lone field).
        raise ValidationFailed(cast(dict[str, Any], exc.messages)) from None


def one_of(field: str, choices: tuple[str, ...]) -> Callable[[object], str]:
    """A loader of one argument that must be one of ``choices`` (a refusal names ``field``)."""

    def load_choice(value: object) -> str:
        if value not in choices:
            raise ValidationFailed({field: [f"one of {', '.join(choices)}"]})
        return value

    return load_choice


def page_window(page: object, page_size: object, max_size: int = MAX_PAGE_SIZE) -> tuple[int, int]:
    """(offset, limit) of a page; page numbers start at 1, sizes are bounded. Booleans are not numbers here."""
    if not isinstance(page, int) or isinstance(page, bool) or page < 1:
        raise ValidationFailed({"page": ["must be a whole number from 1"]})
    if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= max_size:
        raise ValidationFailed({"page_size": [f"must be a whole number from 1 to {max_size}"]})
    return (page - 1) * page_size, page_size


def now() -> datetime:
    """The current time, timezone-aware (UTC): every stored instant is."""
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """A stored instant with its UTC offset: SQLite hands back naive datetimes for timezone-aware columns."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
