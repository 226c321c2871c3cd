"""Finding a person: by part of the name, the national or BIS number, and the file's filters.

The form is posted (with the session's CSRF token) and the gateway is asked by POST too: a national number
never appears in a URL, so never in an access log or the browser's history. A search changes nothing, so the
results are rendered in answer to the post, without a redirect.
"""

from __future__ import annotations

from web.app import Form, view
from web.gateway import GatewayError
from web.views.people import as_int, clean, digits, municipalities

PAGE_SIZE = 25
CRITERIA = (
    "q",
    "niss",
    "stage",
    "status",
    "target_group",
    "municipality",
    "counsellor",
    "registered_from",
    "registered_to",
)


@view("/recherche", "search", methods=("GET", "POST"))
def search(page):
    context = dict(municipalities=municipalities(), results=None, number=1, pages=1)
    if page.request.method == "GET":
        return page.render("search/people.html", **context)
    form = page.request.form
    body = clean({name: form.get(name, "").strip() for name in CRITERIA})
    if "niss" in body:
        body["niss"] = digits(body["niss"]) or body["niss"]
    number = as_int(form.get("page", 1))
    number = number if isinstance(number, int) and number > 0 else 1
    try:
        results = page.gateway.post(f"/beneficiaries/search?page={number}&page_size={PAGE_SIZE}&purpose=search", body)
    except GatewayError as exc:
        if exc.status != 422:
            raise
        return page.render("search/people.html", form=Form(form, exc.errors), status=422, **context)
    context.update(results=results, number=number, pages=max(1, -(-results["total"] // PAGE_SIZE)))
    return page.render("search/people.html", form=Form(form), **context)
