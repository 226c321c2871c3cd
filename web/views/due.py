"""What falls due ("à faire"): six-month checks and plan reviews (beneficiary service), prospection next
actions (employer service), trainings ending and follow-up committees (convention service), overdue first.

The front office asks each service through its own gateway route and merges the answers here, rather than
one gateway route gathering them: each list stays under its own policy action (a role that may not read
employers simply gets no prospection items, and one that may not read files no people), the gateway keeps
one route for one RPC, and a service that does not answer costs its own section only, said on the page.
"""

from __future__ import annotations

from web.app import view
from web.gateway import GatewayError

SCOPES = ("moi", "mission")


def gather(page, mine: bool) -> tuple[list[dict], dict, list[str]]:
    """(items overdue first then by date, counts per kind, the sources that did not answer)."""
    sub = page.user["sub"] if mine else None
    items, counts, missing = [], {}, []
    asked = []
    if page.may("beneficiary.read"):
        asked.append(("people", lambda: page.gateway.get("/beneficiaries/due", counsellor=sub, purpose="due")))
    if page.may("employer.read"):
        asked.append(("employers", lambda: page.gateway.get("/employers/due", agent=sub)))
    if page.may("convention.read"):
        asked.append(("projects", lambda: page.gateway.get("/projects/due", lead=sub)))

    def kept(ask):  # a service that does not answer is a section said missing, not a failed page
        def call():
            try:
                return ask()
            except GatewayError as exc:
                if exc.status in (401, 403, 404):
                    raise
                return None

        return call

    answers = page.gather({source: kept(ask) for source, ask in asked})  # the services asked at the same time
    for source, _ in asked:
        answer = answers[source]
        if answer is None:
            missing.append(source)
            continue
        counts.update(answer["counts"])
        items.extend(answer["items"])
    items.sort(key=lambda i: (not i["overdue"], i["due_on"]))
    return items, counts, missing


@view("/a-faire", "due")
def due(page):
    scope = page.request.args.get("portee", "moi")
    scope = scope if scope in SCOPES else "moi"
    items, counts, missing = gather(page, mine=scope == "moi")
    return page.render(
        "due/list.html",
        items=items,
        counts=counts,
        missing=missing,
        scope=scope,
        overdue=sum(1 for i in items if i["overdue"]),
    )
