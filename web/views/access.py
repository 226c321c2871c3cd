"""A person's copy of what the Mission holds about them (GDPR art. 15), for a director or the DPO.

Each service answers its own part through its own gateway route (``/beneficiaries/<id>/access/<service>``,
policy actions ``<service>.subject_access``), each read audited (the gateway's line, and the beneficiary
service's audit row); this page only puts the parts together, as one printable page and as one JSON
download. The employer service holds nothing about a person (a first contract names its employer in the
beneficiary's part), so it has no part. The page reads the parts again on each request, on purpose: each
copy made is on record.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from werkzeug.wrappers import Response

from web.app import view

# The services that hold something about a person, in the order of the copy.
PARTS = ("beneficiary", "convention", "matching")


def copy_of(page, pid: str) -> dict:
    """Every part the user's roles may ask for, gathered at once (a part refused is refused for the whole)."""
    calls = {
        service: (lambda service=service: page.gateway.get(f"/beneficiaries/{pid}/access/{service}"))
        for service in PARTS
    }
    return {
        "mission": page.user["mission"],
        "beneficiary_id": pid,
        "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "made_by": page.user.get("sub"),
        "parts": page.gather(calls),
    }


@view("/beneficiaires/<pid>/copie", "access")
def access(page, pid):
    return page.render("access/copy.html", copy=copy_of(page, pid), parts=PARTS)


@view("/beneficiaires/<pid>/copie.json", "access_json")
def access_json(page, pid):
    copy = copy_of(page, pid)
    body = json.dumps(copy, ensure_ascii=False, indent=1)
    filename = f"copie-{page.user['mission']}-{pid}.json"
    return Response(
        body,
        content_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
