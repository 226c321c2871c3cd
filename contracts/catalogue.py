"""Every event type and version of every audience: (audience, type) → its payload class.

The one list consumers load from (``load``, here, beside the list it reads) and the
contract documents are generated from (``contracts.generate``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import msgspec

from contracts import internal, sector, signal, transfer
from contracts.agency import catalogue as agency
from contracts.agency import inbound
from contracts.envelope import Event
from contracts.payloads import OutsideContract, Payload, UnknownEventType, catalogue

P = TypeVar("P", bound=Payload)

CATALOGUE: dict[tuple[str, str], type[Payload]] = catalogue(
    *internal.PAYLOADS, *sector.PAYLOADS, *signal.PAYLOADS, *transfer.PAYLOADS, *agency.PAYLOADS, *inbound.PAYLOADS
)


def of_audience(audience: str) -> dict[str, type[Payload]]:
    """Type → payload class, for one audience."""
    return {t: cls for (a, t), cls in CATALOGUE.items() if a == audience}


def payload_class(audience: str, event_type: str) -> type[Payload]:
    """The class of ``event_type`` in ``audience``; ``UnknownEventType`` when the contract does not list it."""
    try:
        return CATALOGUE[(audience, event_type)]
    except KeyError:
        raise UnknownEventType(f"{event_type} is not a {audience} event type of the contract") from None


def load(event: Event, expected: type[P] | Iterable[type[P]] | None = None) -> P:
    """``event.data`` as the class of its type and audience.

    ``expected``: the class (or classes, or a base class such as ``contracts.internal.Beneficiary``) the event's
    must be; another type is refused like an unknown one.
    """
    cls = payload_class(event.audience, event.type)
    if expected is not None:
        allowed = (expected,) if isinstance(expected, type) else tuple(expected)
        if not issubclass(cls, allowed):
            raise UnknownEventType(f"{event.type} ({event.audience}) is not {' or '.join(c.TYPE for c in allowed)}")
    try:
        return msgspec.convert(event.data, cls)  # type: ignore[return-value]
    except msgspec.ValidationError as exc:
        raise OutsideContract(f"{event.type} ({event.audience}) data is outside its schema: {exc}") from None
