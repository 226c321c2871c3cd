"""The employer-relations agent's pages: employers and contacts, prospection visits with their next actions,
vacancies with required competences, ranked candidates with their explanations, proposals through their states."""

from __future__ import annotations

from datetime import date

from werkzeug.exceptions import NotFound

from web import labels
from web.app import Form, view
from web.gateway import GatewayError
from web.views.people import Names, as_int, clean, digits, municipalities, stale_message

EMPLOYER_FIELDS = ("enterprise_number", "name", "nace", "municipality", "size_band", "street", "postal_code")


# The search form's fields (a GET form: an enterprise number is public) and the gateway's criteria.
EMPLOYER_SEARCH = {"q": "q", "bce": "enterprise_number", "nace": "nace", "commune": "municipality"}


@view("/entreprises", "employers")
def employers(page):
    """The Mission's employers by name, or those matching a name, BCE number, sector or municipality."""
    args = page.request.args
    typed = {name: args.get(name, "").strip() for name in EMPLOYER_SEARCH}
    criteria = {EMPLOYER_SEARCH[k]: v for k, v in typed.items() if v}
    context = dict(municipalities=municipalities(), searched=bool(criteria), form=Form(typed))
    try:
        listed = page.gateway.get("/employers/search", page=1, page_size=100, **criteria)
    except GatewayError as exc:
        if exc.status != 422:
            raise
        back = {v: k for k, v in EMPLOYER_SEARCH.items()}
        exc.rename_fields(lambda key: back.get(key, key))
        context["form"] = Form(typed, exc.errors)
        return page.render("employers/list.html", employers=[], total=0, status=422, **context)
    return page.render("employers/list.html", employers=listed["items"], total=listed["total"], **context)


@view("/entreprises/nouvelle", "employer_new", methods=("GET", "POST"))
def employer_new(page):
    context = dict(municipalities=municipalities())
    if page.request.method == "GET":
        return page.render("employers/new.html", **context)
    form = page.request.form
    body = clean({name: form.get(name, "").strip() for name in EMPLOYER_FIELDS})
    if "enterprise_number" in body:
        body["enterprise_number"] = digits(body["enterprise_number"])

    def register():
        try:
            return page.gateway.post("/employers", body)
        except GatewayError as exc:
            if exc.existing:
                page.flash(page.gettext("Cette entreprise est déjà enregistrée dans la Mission : la voici."))
                return {"id": exc.existing}
            raise

    def done(created):
        page.flash(page.gettext("Entreprise enregistrée."))
        return page.url("employer", id=created["id"])

    return page.submit(register, done, "employers/new.html", **context)


def vacancies_of(page, employer_id: str) -> list[dict]:
    # The gateway lists vacancies by status, not by employer: the first 100 are filtered here (web/README.md).
    listed = page.gateway.get("/vacancies", page=1, page_size=100)["items"]
    return [v for v in listed if v["employer_id"] == employer_id]


@view("/entreprises/<id>", "employer")
def employer(page, id):
    found = page.gateway.get(f"/employers/{id}")
    visits = page.gateway.get(f"/employers/{id}/visits")
    corrections = page.gateway.get(f"/employers/{id}/corrections")
    commitments = None
    if page.may("convention.read"):
        commitments = page.gateway.get(f"/employers/{id}/commitments", page=1, page_size=20)
    return page.render(
        "employers/employer.html",
        employer=found,
        visits=list(reversed(visits)),
        vacancies=vacancies_of(page, id),
        commitments=commitments,
        today=date.today().isoformat(),
        corrections=corrections["employer"],
    )


@view("/entreprises/<id>/contacts", "contact_new", methods=("GET", "POST"))
def contact_new(page, id):
    found = page.gateway.get(f"/employers/{id}")
    if page.request.method == "GET":
        return page.render("employers/contact.html", employer=found)
    form = page.request.form
    body = clean({k: form.get(k, "").strip() for k in ("name", "function", "phone", "email")})

    def done(_):
        page.flash(page.gettext("Contact ajouté."))
        return page.url("employer", id=id)

    return page.submit(
        lambda: page.gateway.post(f"/employers/{id}/contacts", body), done, "employers/contact.html", employer=found
    )


@view("/entreprises/<id>/visites", "visit_new", methods=("GET", "POST"))
def visit_new(page, id):
    found = page.gateway.get(f"/employers/{id}")
    if page.request.method == "GET":
        return page.render(
            "employers/visit.html", employer=found, form=Form({"on": date.today().isoformat(), "kind": "visit"})
        )
    form = page.request.form
    body = clean({k: form.get(k, "").strip() for k in ("kind", "on", "summary", "next_action", "next_action_due")})
    if form.get("need", "").strip():
        body["needs"] = [{"kind": form.get("need_kind") or "explicit", "description": form.get("need").strip()}]

    def done(_):
        page.flash(page.gettext("Prospection enregistrée."))
        return page.url("employer", id=id)

    return page.submit(
        lambda: page.gateway.post(f"/employers/{id}/visits", body), done, "employers/visit.html", employer=found
    )


# -- vacancies -----------------------------------------------------------------
@view("/offres", "vacancies")
def vacancies(page):
    status = page.request.args.get("statut") or None
    if status not in labels.VACANCY_STATUSES:
        status = None
    listed = page.gateway.get("/vacancies", status=status, page=1, page_size=100)
    names = Names(page)
    context = dict(vacancies=listed["items"], total=listed["total"], status=status, names=names)
    if page.htmx and page.request.headers.get("HX-Target") == "results":
        return page.render("employers/_vacancy_results.html", **context)
    return page.render("employers/vacancies.html", **context)


@view("/entreprises/<id>/offres/nouvelle", "vacancy_new", methods=("GET", "POST"))
def vacancy_new(page, id):
    found = page.gateway.get(f"/employers/{id}")
    code = page.request.values.get("metier", "").strip()
    title = page.request.args.get("intitule", "").strip()
    suggestions = page.gateway.get("/occupation-suggestions", title=title, limit=8) if len(title) >= 2 else []
    occupation = (
        page.gateway.get(f"/matching/occupations/{code}")
        if code and page.may("matching.read")
        else ({"code": code, "label": code, "competences": []} if code else None)
    )
    context = dict(
        employer=found, occupation=occupation, found=suggestions, title=title, municipalities=municipalities()
    )
    if page.request.method == "GET":
        values = {"municipality": found.get("municipality", ""), "posts": "1", "hours_per_week": "38", "title": title}
        return page.render("employers/vacancy_new.html", form=Form(values), **context)
    form = page.request.form
    wanted = [c for c in form.getlist("required") if occupation and c in {x["code"] for x in occupation["competences"]}]
    body = clean(
        {k: form.get(k, "").strip() for k in ("title", "description", "contract_type", "municipality", "start_date")}
    )
    body.update(
        clean(
            {
                "occupation": code,
                "hours_per_week": as_int(form.get("hours_per_week", "")),
                "posts": as_int(form.get("posts", "")),
            }
        )
    )
    body["competences"] = [
        {"code": c, "level": as_int(form.get(f"level-{c}", "2")), "essential": form.get(f"essential-{c}") == "yes"}
        for c in wanted
    ]

    def done(created):
        page.flash(page.gettext("Offre créée en brouillon."))
        return page.url("vacancy", id=created["id"])

    return page.submit(
        lambda: page.gateway.post(f"/employers/{id}/vacancies", body), done, "employers/vacancy_new.html", **context
    )


@view("/offres/<id>", "vacancy")
def vacancy(page, id):
    found = page.gateway.get(f"/vacancies/{id}")
    owner = page.gateway.get(f"/employers/{found['employer_id']}")
    candidates, proposals = [], []
    if page.may("matching.read"):
        proposals = page.gateway.get("/matching/proposals", vacancy_id=id)
        if found["status"] in ("open", "partially_filled"):
            try:
                candidates = page.gateway.get(f"/matching/vacancies/{id}/candidates", limit=10)
            except GatewayError as exc:
                if exc.status not in (404, 409):
                    raise
    proposed = {p["beneficiary_id"] for p in proposals if p["state"] in labels.PROPOSAL_NEXT}
    people = {}
    if page.may("beneficiary.read"):  # names only for the roles that may read files
        for ref in {c["beneficiary_id"] for c in candidates} | {p["beneficiary_id"] for p in proposals}:
            try:
                someone = page.gateway.get(f"/beneficiaries/{ref}", purpose="matching")
                people[ref] = f"{someone['first_name']} {someone['last_name']}"
            except GatewayError:
                pass
    return page.render(
        "employers/vacancy.html",
        vacancy=found,
        employer=owner,
        candidates=candidates,
        proposals=proposals,
        proposed=proposed,
        people=people,
        occupation=occupation_of(page, found),
    )


def occupation_of(page, vacancy: dict) -> dict:
    """The vacancy's occupation with its competences' labels (matching's taxonomy), codes alone otherwise."""
    if page.may("matching.read"):
        try:
            found = page.gateway.get(f"/matching/occupations/{vacancy['occupation']}")
            return {"label": found["label"], "competences": {c["code"]: c["label"] for c in found["competences"]}}
        except GatewayError:
            pass
    return {"label": vacancy["occupation"], "competences": {}}


@view("/offres/<id>/<verb>", "vacancy_move", methods=("POST",))
def vacancy_move(page, id, verb):
    if verb not in ("open", "close"):
        return page.redirect(page.url("vacancy", id=id))

    def done(_):
        page.flash(page.gettext("Offre ouverte.") if verb == "open" else page.gettext("Offre clôturée."))
        return page.url("vacancy", id=id)

    return page.submit(
        lambda: page.gateway.post(f"/vacancies/{id}/{verb}"),
        done,
        "employers/vacancy.html",
        vacancy=page.gateway.get(f"/vacancies/{id}"),
        employer={},
        candidates=[],
        proposals=[],
        proposed=set(),
        people={},
        occupation={"label": "", "competences": {}},
    )


# -- corrections with history ---------------------------------------------------
CORRECTED_EMPLOYER = ("name", "nace", "municipality", "street", "postal_code")


def _stale_as_error(page, exc: GatewayError) -> None:
    if exc.status == 409:
        exc.problem["errors"] = {"_schema": [stale_message(page, exc.problem, "employer")]}


@view("/entreprises/<id>/corriger", "correct_employer", methods=("GET", "POST"))
def correct_employer(page, id):
    """« Corriger » : the employer's name, sector and address at the version the form showed (409 said so), and
    for the direction its account manager, each kept in the employer's history."""
    found = page.gateway.get(f"/employers/{id}")
    context = dict(employer=found, municipalities=municipalities())
    if page.request.method == "GET":
        values = {name: found.get(name) or "" for name in CORRECTED_EMPLOYER + ("account_manager",)}
        return page.render("employers/correct.html", form=Form(values | {"version": found["version"]}), **context)
    form = page.request.form
    body: dict = {"version": as_int(form.get("version", ""))}
    if form.get("reassign"):
        path, body["account_manager"] = f"/employers/{id}/account-manager", form.get("account_manager", "").strip()
    else:
        path = f"/employers/{id}"
        for name in CORRECTED_EMPLOYER:
            typed = form.get(name, "").strip()
            if typed != (found.get(name) or ""):
                body[name] = typed if typed or name in ("name", "nace", "municipality") else None

    def send():
        try:
            return page.gateway.post(path, body) if form.get("reassign") else page.gateway.patch(path, body)
        except GatewayError as exc:
            _stale_as_error(page, exc)
            raise

    def done(_):
        page.flash(page.gettext("Fiche entreprise corrigée. La correction est gardée dans son historique."))
        return page.url("employer", id=id)

    return page.submit(send, done, "employers/correct.html", **context)


CORRECTED_CONTACT = ("name", "function", "phone", "email")


@view("/entreprises/<id>/contacts/<contact_id>/corriger", "correct_contact", methods=("GET", "POST"))
def correct_contact(page, id, contact_id):
    """« Corriger » a contact: name, function, phone and e-mail at the version the form showed (a 409 says who
    changed it since), each change kept in the contact's history."""
    found = page.gateway.get(f"/employers/{id}")
    contact = next((c for c in found.get("contacts") or [] if c["id"] == contact_id), None)
    if contact is None:
        raise NotFound()
    history = page.gateway.get(f"/employers/{id}/corrections")["contacts"].get(contact_id, [])
    context = dict(employer=found, contact=contact, corrections=history)
    if page.request.method == "GET":
        values = {name: contact.get(name) or "" for name in CORRECTED_CONTACT}
        return page.render(
            "employers/contact_correct.html", form=Form(values | {"version": contact["version"]}), **context
        )
    form = page.request.form
    body: dict = {"version": as_int(form.get("version", ""))}
    for name in CORRECTED_CONTACT:
        typed = form.get(name, "").strip()
        if typed != (contact.get(name) or ""):
            # An emptied name is refused beside its field; an emptied function, phone or e-mail is cleared.
            body[name] = typed if typed or name == "name" else None

    def send():
        try:
            return page.gateway.patch(f"/employers/{id}/contacts/{contact_id}", body)
        except GatewayError as exc:
            if exc.status == 409:
                exc.problem["errors"] = {"_schema": [stale_message(page, exc.problem, "contact")]}
            raise

    def done(_):
        page.flash(page.gettext("Contact corrigé. La correction est gardée dans son historique."))
        return page.url("employer", id=id)

    return page.submit(send, done, "employers/contact_correct.html", **context)
