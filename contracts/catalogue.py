"""Every event type and version of every audience: (audience, type) → its payload class.

The one list consumers load from (``contracts.payloads.load``) and the
contract documents are generated from (``contracts.generate``).
"""

from __future__ import annotations

from contracts import internal, sector, signal
from contracts.agency import catalogue as agency
from contracts.payloads import Payload, catalogue

CATALOGUE: dict[tuple[str, str], type[Payload]] = catalogue(
    *internal.PAYLOADS, *sector.PAYLOADS, *signal.PAYLOADS, *agency.PAYLOADS
)


def of_audience(audience: str) -> dict[str, type[Payload]]:
    """Type → payload class, for one audience."""
    return {t: cls for (a, t), cls in CATALOGUE.items() if a == audience}
