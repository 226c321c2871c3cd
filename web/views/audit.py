"""The audit trail, for the Mission's data-protection officer: who read or changed whose file, when and why.

The page lists what the beneficiary service answers on ``GET /missions/<code>/audit`` (the policy action
``beneficiary.audit_review``, held by the ``dpo`` role alone): references only, a person's file id and a
user's name, never a name or a number from the file, since the officer's role gives no access to the files
themselves. The filters go in the address (a file id and a user name are references, not personal data of
the file), so a filtered list can be bookmarked and shared with the Mission's director.
"""

from __future__ import annotations

from web.app import Form, view
from web.gateway import GatewayError
from web.views.people import as_int, clean

PAGE_SIZE = 50
FILTERS = ("subject", "user", "from", "to")


@view("/protection-des-donnees", "audit")
def audit(page):
    args = page.request.args
    asked = clean({name: args.get(name, "").strip() for name in FILTERS})
    number = as_int(args.get("page", 1))
    number = number if isinstance(number, int) and number > 0 else 1
    context = dict(asked=asked, number=number, entries=None, pages=1, unusual=_unusual(page))
    try:
        entries = page.gateway.get("/audit", page=number, page_size=PAGE_SIZE, **asked)
    except GatewayError as exc:
        if exc.status != 422:
            raise
        return page.render("audit/list.html", form=Form(args, exc.errors), status=422, **context)
    context.update(entries=entries, pages=max(1, -(-entries["total"] // PAGE_SIZE)))
    return page.render("audit/list.html", form=Form(args), **context)


def _unusual(page) -> list[dict] | None:
    """Who opened many files outside their caseload in the last 24 hours; None when the service did not say."""
    try:
        return page.gateway.get("/audit/unusual")
    except GatewayError as exc:
        if exc.status in (401, 403):
            raise
        return None
