"""The gateway's audit line for every read of personal data: who, role, action, purpose, subject pseudonym.

The services keep their own audit records (the beneficiary service writes one
per read, in its database); the gateway's line is the request-side view,
written before the call so that a read that fails half-way is still on
record. The subject is named by a keyed pseudonym of the object reference
(HMAC under the sector key, as ``kit.pseudonym`` does for people), so the
log alone links no reference to a file; an auditor holding the key can.
``subject_key`` names that key (``kit.pseudonym.key_id``), so lines written
before and after a sector key rotation are read with the right one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from kit.actor import Actor
from kit.pseudonym import key_id, sector_key

log = logging.getLogger("gateway.audit")


def subject_pseudonym(mission: str, ref: str | None) -> str | None:
    if not ref:
        return None
    return hmac.new(sector_key(), f"{mission}:{ref}".encode(), hashlib.sha256).hexdigest()[:32]


def personal_read(actor: Actor, action: str, purpose: str, mission: str, ref: str | None, request_id: str) -> None:
    log.info(
        json.dumps(
            {
                "audit": "personal_data_read",
                "who": actor.sub,
                "roles": list(actor.roles),
                "action": action,
                "purpose": purpose,
                "mission": mission,
                "subject": subject_pseudonym(mission, ref),
                "subject_key": key_id() if ref else None,
                "request_id": request_id,
            },
            ensure_ascii=False,
        )
    )
