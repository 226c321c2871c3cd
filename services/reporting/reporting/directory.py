"""InterMire's sector partner directory: the partner organisations the Missions share, read-only here.

A Mission sends an organisation it publishes as it stands (``contracts.sector.PartnerPublishedV1``) at each
change, and its removal when it stops sharing it (``PartnerUnpublishedV1``). Each event carries the
organisation's revision: the row keeps the latest, so a redelivered older event changes nothing. Nothing here
names a person; the analysts read the directory as it is, without writing to it.

The directory is small (eleven Missions, a few dozen organisations each): a search filters the published
rows in Python after one query, and pages the result.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts import sector
from kit import answers, inputs
from reporting.models import SectorPartner

Data = dict[str, Any]
MAX_LISTED = 5000  # far above the sector's size: a bound, not a limit anyone meets


def apply(
    session: Session, mission: str, data: sector.PartnerPublishedV1 | sector.PartnerUnpublishedV1, at: datetime
) -> bool:
    """Keep what the event says of the organisation unless a later revision is already here; whether it did."""
    row = session.get(SectorPartner, (mission, data.partner_id))
    if row is not None and row.revision >= data.revision:
        return False
    if row is None:
        row = SectorPartner(mission=mission, partner_id=data.partner_id)
        session.add(row)
    row.revision, row.updated_at = data.revision, at
    if isinstance(data, sector.PartnerPublishedV1):
        row.published, row.name = True, data.name
        row.listing = {
            "partner_type": data.partner_type,
            "municipalities": list(data.municipalities),
            "contact": _plain(data.contact),
            "services": [_plain(s) | {"contact": _plain(s.contact)} for s in data.services],
        }
    else:
        row.published, row.name, row.listing = False, "", {}
    return True


def _plain(record: Any) -> Data:
    return {name: getattr(record, name) for name in record.__struct_fields__}


def search(session: Session, found: Data, page: object, page_size: object) -> Data:
    """The published organisations of every Mission (or of ``found['mission']``), by need and municipality
    served when asked, by name then Mission."""
    offset, limit = inputs.page_window(page, page_size)
    query = select(SectorPartner).where(SectorPartner.published.is_(True))
    if found.get("mission"):
        query = query.where(SectorPartner.mission == found["mission"])
    rows = session.scalars(query.order_by(SectorPartner.name, SectorPartner.mission).limit(MAX_LISTED))
    items = []
    for row in rows:
        listing = row.listing or {}
        if found.get("municipality") and found["municipality"] not in listing.get("municipalities", ()):
            continue
        if found.get("need") and not any(found["need"] in s.get("needs", ()) for s in listing.get("services", ())):
            continue
        items.append({"mission": row.mission, "id": row.partner_id, "name": row.name, **listing})
    return answers.page(items[offset : offset + limit], int(page), int(page_size), len(items))  # type: ignore[call-overload]
