"""Orientations vers des partenaires: on a person's file, orient them to a partner's service (« Orienter vers un
partenaire ») and record what came of it (« Enregistrer la suite »). Every read and write is a gateway call with
the user's token; the rules (what may be shared, with the person's consent; the outcome's moves) are the
beneficiary service's (``beneficiary.orientations``). The file's page lists the orientations it reads with the
file (``people/person.html``)."""

from __future__ import annotations

from web.app import Form, view
from web.gateway import GatewayError
from web.views.people import clean, load_person


def _directory(page, chosen: str) -> tuple[list, list, dict | None]:
    """The Mission's partner organisations that offer a service (for the first choice), and, once one is chosen,
    its services still offered: read through the directory's own routes, under its own policy action."""
    if not page.may("employer.partner.read"):
        return [], [], None
    listed = page.gateway.get("/partners", page_size=100)["items"]
    organisations = [(p["id"], p["name"]) for p in listed if p["services_offered"]]
    if not chosen:
        return organisations, [], None
    try:
        partner = page.gateway.get(f"/partners/{chosen}")
    except GatewayError as exc:
        if exc.status not in (404, 422):
            raise
        return organisations, [], None
    services = [(s["id"], s["title"]) for s in partner["services"] if s["status"] == "offered"]
    return organisations, services, partner


@view("/beneficiaires/<id>/orienter", "orient", methods=("GET", "POST"))
def orient(page, id):
    """Two steps on one page, without script: the partner organisation (a GET that lists its services), then
    the service and the rest of the orientation."""
    someone = load_person(page, id)
    chosen = page.request.values.get("partenaire", "")
    organisations, services, partner = _directory(page, chosen)
    context = dict(person=someone, organisations=organisations, services=services, partner=partner)
    if page.request.method == "GET":
        return page.render("people/orient.html", form=Form({"partenaire": chosen}), **context)
    form = page.request.form
    body = clean(
        {
            "service_id": form.get("service_id", "").strip(),
            "purpose": form.get("purpose", "").strip(),
            "appointment_on": form.get("appointment_on", ""),
        }
    )
    body["shared"] = form.getlist("shared")
    body["consent"] = form.get("consent") == "yes"

    def done(_):
        page.flash(page.gettext("Orientation enregistrée : notez-en la suite quand vous la connaissez."))
        return page.url("person", id=id) + "#orientations"

    return page.submit(
        lambda: page.gateway.post(f"/beneficiaries/{id}/orientations", body), done, "people/orient.html", **context
    )


def _one(page, id: str, oid: str) -> dict:
    for orientation in page.gateway.get(f"/beneficiaries/{id}/orientations"):
        if orientation["id"] == oid:
            return orientation
    raise GatewayError(404, {"title": "Not Found", "detail": "no such orientation"})


@view("/beneficiaires/<id>/orientations/<oid>/suite", "orientation_outcome", methods=("GET", "POST"))
def outcome(page, id, oid):
    someone = load_person(page, id)
    orientation = _one(page, id, oid)
    context = dict(person=someone, orientation=orientation)
    if page.request.method == "GET":
        values = {"version": str(orientation["version"])}
        return page.render("people/orientation_outcome.html", form=Form(values), **context)
    form = page.request.form
    body = clean(
        {
            "outcome": form.get("outcome", ""),
            "reason": form.get("reason", "").strip(),
            "on": form.get("on", ""),
        }
    )
    version = form.get("version", "")
    body["version"] = int(version) if version.isdigit() else version

    def done(_):
        page.flash(page.gettext("Suite de l'orientation enregistrée."))
        return page.url("person", id=id) + "#orientations"

    return page.submit(
        lambda: page.gateway.post(f"/beneficiaries/{id}/orientations/{oid}/outcome", body),
        done,
        "people/orientation_outcome.html",
        **context,
    )
