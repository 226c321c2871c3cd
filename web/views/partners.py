"""The Mission's partner directory: « Partenaires » (search by need, municipality and target group), an
organisation's page with its services, and the forms to add or correct an organisation, add or withdraw a
service, and share it with InterMire (or stop). Everything through the gateway's ``/partners`` routes."""

from __future__ import annotations

import re

from web.app import Form, view
from web.gateway import GatewayError
from web.views.people import as_int, clean, digits, municipalities, stale_message

# The search form's fields (a GET form: a directory of organisations holds no personal data) and the gateway's.
PARTNER_SEARCH = {
    "q": "q",
    "besoin": "need",
    "commune": "municipality",
    "public": "target_group",
    "type": "partner_type",
}
CHANNEL = ("phone", "email", "website", "address")
ORGANISATION = ("name", "enterprise_number", "partner_type")
SERVICE = ("title", "description", "conditions", "opening_hours")


def _channel(form) -> dict:
    return {name: form.get(f"contact_{name}", "").strip() or None for name in CHANNEL}


def _form_field(key: str) -> str:
    """A gateway error's field as the form's: ``contact.phone`` → ``contact_phone``, ``needs.0`` → ``needs``."""
    if key.startswith("contact."):
        return "contact_" + key.split(".", 1)[1]
    return re.sub(r"\.\d+$", "", key)


def _as_form_errors(send):
    def sent():
        try:
            return send()
        except GatewayError as exc:
            exc.rename_fields(_form_field)
            raise

    return sent


@view("/partenaires", "partners")
def partners(page):
    """The Mission's partner organisations, or those answering a need, a municipality, a target group."""
    args = page.request.args
    typed = {name: args.get(name, "").strip() for name in PARTNER_SEARCH}
    criteria = {PARTNER_SEARCH[k]: v for k, v in typed.items() if v}
    context = dict(municipalities=municipalities(), searched=bool(criteria), form=Form(typed))
    try:
        listed = page.gateway.get("/partners", page=1, page_size=100, **criteria)
    except GatewayError as exc:
        if exc.status != 422:
            raise
        back = {v: k for k, v in PARTNER_SEARCH.items()}
        exc.rename_fields(lambda key: back.get(key, key))
        context["form"] = Form(typed, exc.errors)
        return page.render("partners/list.html", partners=[], total=0, status=422, **context)
    return page.render("partners/list.html", partners=listed["items"], total=listed["total"], **context)


def _organisation_body(form) -> dict:
    body = clean({name: form.get(name, "").strip() for name in ORGANISATION})
    if "enterprise_number" in body:
        body["enterprise_number"] = digits(body["enterprise_number"]) or body["enterprise_number"]
    # Nothing chosen is left out, so the service names the list as missing (not as too short).
    body |= clean({"municipalities": [m for m in form.getlist("municipalities") if m]})
    body["contact"] = _channel(form)
    return body


@view("/partenaires/nouveau", "partner_new", methods=("GET", "POST"))
def partner_new(page):
    context = dict(municipalities=municipalities())
    if page.request.method == "GET":
        return page.render("partners/edit.html", form=Form(), partner=None, **context)
    body = _organisation_body(page.request.form)

    def done(created):
        page.flash(page.gettext("Organisation ajoutée au répertoire des partenaires."))
        return page.url("partner", id=created["id"])

    return page.submit(
        _as_form_errors(lambda: page.gateway.post("/partners", body)),
        done,
        "partners/edit.html",
        partner=None,
        **context,
    )


@view("/partenaires/<id>", "partner")
def partner(page, id):
    found = page.gateway.get(f"/partners/{id}")
    return page.render("partners/partner.html", partner=found)


@view("/partenaires/<id>/corriger", "partner_correct", methods=("GET", "POST"))
def partner_correct(page, id):
    """« Corriger » an organisation at the version the form showed (a 409 says who changed it since)."""
    found = page.gateway.get(f"/partners/{id}")
    context = dict(municipalities=municipalities(), partner=found)
    if page.request.method == "GET":
        values = {name: found.get(name) or "" for name in ORGANISATION}
        values |= {f"contact_{k}": (found.get("contact") or {}).get(k) or "" for k in CHANNEL}
        values |= {"municipalities": found["municipalities"], "version": found["version"]}
        return page.render("partners/edit.html", form=Form(values), **context)
    typed = _organisation_body(page.request.form)
    body: dict = {"version": as_int(page.request.form.get("version", ""))}
    for name in ORGANISATION:
        if typed.get(name) != (found.get(name) or None):
            body[name] = typed.get(name) if typed.get(name) or name != "enterprise_number" else None
    if typed.get("municipalities", []) != found["municipalities"]:
        body["municipalities"] = typed.get("municipalities", [])
    if {k: v for k, v in typed["contact"].items() if v} != {k: v for k, v in (found.get("contact") or {}).items() if v}:
        body["contact"] = typed["contact"]

    def send():
        try:
            return page.gateway.patch(f"/partners/{id}", body)
        except GatewayError as exc:
            if exc.status == 409:
                exc.problem["errors"] = {"_schema": [stale_message(page, exc.problem, "employer")]}
            raise

    def done(_):
        page.flash(page.gettext("Organisation corrigée. La correction est gardée dans son historique."))
        return page.url("partner", id=id)

    return page.submit(_as_form_errors(send), done, "partners/edit.html", **context)


@view("/partenaires/<id>/services/nouveau", "partner_service_new", methods=("GET", "POST"))
def partner_service_new(page, id):
    found = page.gateway.get(f"/partners/{id}")
    if page.request.method == "GET":
        return page.render("partners/service.html", partner=found, form=Form())
    form = page.request.form
    body = clean({name: form.get(name, "").strip() for name in SERVICE})
    body |= clean({"needs": [n for n in form.getlist("needs") if n]})
    body["target_groups"] = [g for g in form.getlist("target_groups") if g]
    body["contact"] = _channel(form)

    def done(_):
        page.flash(page.gettext("Service ajouté."))
        return page.url("partner", id=id)

    return page.submit(
        _as_form_errors(lambda: page.gateway.post(f"/partners/{id}/services", body)),
        done,
        "partners/service.html",
        partner=found,
    )


@view("/partenaires/<id>/services/<service_id>/retirer", "partner_service_withdraw", methods=("POST",))
def partner_service_withdraw(page, id, service_id):
    def done(_):
        page.flash(page.gettext("Service retiré : il reste lisible mais n'est plus proposé."))
        return page.url("partner", id=id)

    return page.submit(
        lambda: page.gateway.post(f"/partners/{id}/services/{service_id}/withdraw"),
        done,
        "partners/partner.html",
        partner=page.gateway.get(f"/partners/{id}"),
    )


@view("/partenaires/<id>/<verb>", "partner_share", methods=("POST",))
def partner_share(page, id, verb):
    """« Partager avec InterMire » or « Ne plus partager »: the organisation in the sector directory, or not."""
    if verb not in ("publier", "retirer-du-partage"):
        return page.redirect(page.url("partner", id=id))
    path = f"/partners/{id}/publish" if verb == "publier" else f"/partners/{id}/unpublish"

    def done(_):
        if verb == "publier":
            page.flash(page.gettext("Organisation partagée avec InterMire (répertoire du secteur)."))
        else:
            page.flash(page.gettext("L'organisation n'est plus partagée avec InterMire."))
        return page.url("partner", id=id)

    return page.submit(
        lambda: page.gateway.post(path), done, "partners/partner.html", partner=page.gateway.get(f"/partners/{id}")
    )


# -- InterMire: the sector directory, read-only -------------------------------------------------------------
@view("/intermire/partenaires", "sector_partners")
def sector_partners(page):
    """« Répertoire des partenaires »: the organisations the Missions share, by besoin, commune and Mission."""
    args = page.request.args
    typed = {name: args.get(name, "").strip() for name in ("besoin", "commune", "mission")}
    criteria = clean({"need": typed["besoin"], "municipality": typed["commune"], "mission": typed["mission"]})
    listed = page.gateway.get("/intermire/partners", page=1, page_size=100, **criteria)
    return page.render(
        "partners/sector.html",
        partners=listed["items"],
        total=listed["total"],
        municipalities=municipalities(),
        missions=page.app.missions,
        mission_names=dict(page.app.missions),
        searched=bool(criteria),
        form=Form(typed),
    )
