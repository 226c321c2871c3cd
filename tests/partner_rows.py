"""Rows of a Mission's partner directory (the employer service's ``partner`` and ``partner_service`` tables),
written straight into its database as the directory's own writes leave them: an organisation and one service.

What the orientation tests need from the directory before they orient anyone; the directory's maintenance
is tested through its own routes.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa


def offer_service(
    platform, site: str, partner_type: str, status: str = "offered", service_id: str | None = None
) -> str:
    """A partner of ``site`` of type ``partner_type`` offering one service (``status``: offered or withdrawn);
    the service's id. With ``service_id`` given and already there, nothing is written."""
    service_id = service_id or str(uuid.uuid4())
    partner_id, now, contact = str(uuid.uuid4()), datetime.now(UTC), json.dumps({"phone": "071 00 00 00"})
    engine = platform.engine(site, "employer")
    try:
        with engine.begin() as conn:
            there = conn.execute(sa.text("SELECT id FROM partner_service WHERE id = :id"), {"id": service_id})
            if there.first() is not None:
                return service_id
            conn.execute(
                sa.text(
                    "INSERT INTO partner (id, name, partner_type, municipalities, contact, published, created_at,"
                    " created_by, search_name, version) VALUES (:id, :name, :type, :m, :c, :published, :at,"
                    " 'test', '', 1)"
                ),
                {
                    "id": partner_id,
                    "name": f"Partenaire {partner_type}",
                    "type": partner_type,
                    "m": json.dumps(["52011"]),
                    "c": contact,
                    "published": False,
                    "at": now,
                },
            )
            conn.execute(
                sa.text(
                    "INSERT INTO partner_service (id, partner_id, title, description, needs, target_groups, contact,"
                    " status, created_at) VALUES (:id, :p, 'Service logement', 'Aide à la recherche de logement',"
                    " :needs, '[]', :c, :status, :at)"
                ),
                {
                    "id": service_id,
                    "p": partner_id,
                    "needs": json.dumps(["housing"]),
                    "c": contact,
                    "status": status,
                    "at": now,
                },
            )
    finally:
        engine.dispose()
    return service_id
