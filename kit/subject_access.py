"""Subject access (GDPR art. 15): a service's records about one person, as the plain JSON of a copy.

Each service answers its own part of a person's copy (``<service>/access.py``, an RPC under the policy
action ``<service>.subject_access``: a director or the data-protection officer) and the front office puts
the parts together. A part holds every column the service stores about the person, as stored (dates and
instants in ISO 8601), so the copy is what the Mission holds and not a summary of it; only what is derived
for the platform's own use (a search key) is left out, since it says nothing the record does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect

from kit.errors import ValidationFailed


def plain(value: Any) -> Any:
    """``value`` as JSON holds it: dates and instants in ISO 8601, decimals as strings."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def record(row: Any, leave_out: Iterable[str] = ()) -> dict[str, Any] | None:
    """Every column of an ORM ``row`` (None stays None), but those named in ``leave_out``."""
    if row is None:
        return None
    skipped = set(leave_out)
    return {c.key: plain(getattr(row, c.key)) for c in inspect(row).mapper.column_attrs if c.key not in skipped}


def records(rows: Iterable[Any], leave_out: Iterable[str] = ()) -> list[dict[str, Any]]:
    return [r for r in (record(row, leave_out) for row in rows) if r is not None]


def person_ref(value: object) -> str:
    """The person's file reference a part is asked for: 1 to 64 characters (field error otherwise)."""
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise ValidationFailed({"beneficiary_id": ["must be a file reference (1 to 64 characters)"]})
    return value
