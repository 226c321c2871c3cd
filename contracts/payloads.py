"""Typed, versioned event payloads: the one way every audience's events are built and loaded.

Each event type and version of each audience has one ``Payload`` class (a
``msgspec.Struct``) naming the fields of its ``data``, their types and their
limits, with its ``TYPE`` (``be.mire.<service>.<fact>.v<N>``) and ``AUDIENCE``:

* a producer builds the event from an instance (``build``): the data is
  checked against the class before the event exists, so a wrong field or type
  fails the producer's transaction, not a consumer;
* a consumer loads the data into the class of the event's type and audience
  (``load``): typed values (dates as ``date``), fields the consumer does not
  know ignored (producers may add optional fields within a version), an
  unknown type or version refused.

mypy sees each class's fields (``msgspec.Struct`` is a dataclass transform),
so a payload built with a missing, unknown or mistyped field is caught before
it runs. The wire is plain JSON (``contracts.envelope``): a field left
``UNSET`` is absent from ``data``, ``None`` is ``null``, a date ``YYYY-MM-DD``.
The audiences' classes live in ``contracts.internal``, ``contracts.sector``,
``contracts.signal`` and ``contracts.agency.catalogue``; ``CATALOGUE`` lists
them all, and ``contracts.generate`` derives the published documents from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, TypeVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

from contracts.envelope import AUDIENCES, Event, make_event

__all__ = [
    "UNSET",
    "Meta",
    "UnsetType",
    "Payload",
    "Record",
    "OutsideContract",
    "UnknownEventType",
    "catalogue",
    "build",
    "check",
]


class Record(msgspec.Struct, frozen=True, kw_only=True):
    """A part of a payload (a competence, say): typed and checked like the payload that holds it."""


class Payload(msgspec.Struct, frozen=True, kw_only=True):
    """The ``data`` of one event type and version in one audience."""

    TYPE: ClassVar[str]
    AUDIENCE: ClassVar[str]
    SUMMARY: ClassVar[str] = ""


P = TypeVar("P", bound=Payload)


class OutsideContract(ValueError):
    """Event data that its type's schema refuses (a missing, unknown or mistyped field, a value out of range)."""


class UnknownEventType(OutsideContract):
    """An event type, version or audience the contract does not know."""


def catalogue(*classes: type[Payload]) -> dict[tuple[str, str], type[Payload]]:
    """(audience, type) → class, refusing a duplicate or a class without its type."""
    out: dict[tuple[str, str], type[Payload]] = {}
    for cls in classes:
        if cls.AUDIENCE not in AUDIENCES:
            raise ValueError(f"{cls.__name__}: unknown audience {cls.AUDIENCE!r}")
        key = (cls.AUDIENCE, cls.TYPE)
        if key in out:
            raise ValueError(f"{cls.__name__}: {key} is already {out[key].__name__}")
        out[key] = cls
    return out


def check(payload: Payload) -> dict[str, Any]:
    """The payload as wire data, checked against its class: types, limits, and no field outside it."""
    data = msgspec.to_builtins(payload)
    try:
        msgspec.convert(data, type(payload))
    except msgspec.ValidationError as exc:
        raise OutsideContract(f"{payload.TYPE} ({payload.AUDIENCE}) is outside its schema: {exc}") from None
    return data


def build(
    payload: Payload,
    *,
    source: str,
    subject: str | None,
    time: datetime | None = None,
    event_id: str | None = None,
) -> Event:
    """The CloudEvent carrying ``payload``: type, audience and ``dataschema`` are the payload class's."""
    return make_event(
        source=source,
        type=payload.TYPE,
        audience=payload.AUDIENCE,
        subject=subject,
        data=check(payload),
        time=time,
        event_id=event_id,
    )
