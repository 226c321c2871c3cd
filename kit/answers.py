"""What every service answers with, where several services answer the same shape.

A record's transition log is answered the same way wherever a status moves (a vacancy, a convention, a
trainee): from and to, the reason, when, by whom and in which roles (``kit.application.move_and_log`` writes
it). Each service's own output schema extends ``TransitionOutSchema`` with what its log says besides.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields


class TransitionOutSchema(Schema):
    from_status = fields.String(data_key="from")
    to_status = fields.String(data_key="to")
    reason = fields.String()
    at = fields.DateTime()
    by = fields.String()
    role = fields.String()


def page(items: list[Any], page: int, page_size: int, total: int) -> dict[str, Any]:
    """One page of a list, as every paginated RPC answers it."""
    return {"items": items, "page": page, "page_size": page_size, "total": total}
