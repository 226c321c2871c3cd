"""Training projects and their conventions: the signature steps in order, trainees and their internships,
follow-up and pedagogical committees. The convention service checks every transition; the pages offer only the
next step of each convention (the first party still to sign, in the convention's own order of parties)."""

from __future__ import annotations

from datetime import date

from werkzeug.exceptions import NotFound

from web.app import Form, view
from web.gateway import GatewayError
from web.views.people import Names, as_int, clean, digits

VERBS = {"submit", "activate", "complete"}


@view("/projets", "projects")
def projects(page):
    listed = page.gateway.get("/projects", page=1, page_size=100)
    return page.render("conventions/projects.html", projects=listed["items"], total=listed["total"], names=Names(page))


def _open_vacancies(page) -> list[dict]:
    if not page.may("employer.read"):
        return []
    return page.gateway.get("/vacancies", status="open", page=1, page_size=100)["items"]


@view("/projets/nouveau", "project_new", methods=("GET", "POST"))
def project_new(page):
    vacancies = _open_vacancies(page)
    context = dict(vacancies=vacancies)
    if page.request.method == "GET":
        start = date.today()
        values = {
            "hires_committed": "1",
            "hours_per_week": "38",
            "contract_type": "permanent",
            "hours_centre": "300",
            "hours_work": "200",
            "trainees_planned": "1",
            "vacancy_id": page.request.args.get("offre", ""),
            "start_date": start.isoformat(),
        }
        return page.render("conventions/project_new.html", form=Form(values), **context)
    f = page.request.form
    chosen = next((v for v in vacancies if v["id"] == f.get("vacancy_id")), None)
    body = {
        "title": f.get("title", "").strip(),
        "vacancy_id": f.get("vacancy_id", ""),
        "employer_id": chosen["employer_id"] if chosen else "",
        "employer_convention": clean(
            {
                "post_title": f.get("post_title", "").strip(),
                "hires_committed": as_int(f.get("hires_committed")),
                "contract_type": f.get("contract_type", ""),
                "hours_per_week": as_int(f.get("hours_per_week")),
            }
        ),
        "training_convention": clean(
            {
                "operators": [
                    clean(
                        {
                            "name": f.get("operator_name", "").strip(),
                            "enterprise_number": digits(f.get("operator_number", "")),
                        }
                    )
                ],
                "training_profile": f.get("training_profile", "").strip(),
                "specification": f.get("specification", "").strip(),
                "hours_centre": as_int(f.get("hours_centre")),
                "hours_work": as_int(f.get("hours_work")),
                "start_date": f.get("start_date", ""),
                "end_date": f.get("end_date", ""),
                "trainees_planned": as_int(f.get("trainees_planned")),
            }
        ),
    }
    body = {k: v for k, v in body.items() if v != ""}

    def send():
        try:
            return page.gateway.post("/projects", body)
        except GatewayError as exc:

            def field_of(key):  # employer_convention.post_title → post_title, operators.0.name → operator_name
                parts = key.split(".")
                if parts[0] in ("employer_convention", "training_convention") and len(parts) > 1:
                    return (
                        parts[-1]
                        if parts[1] != "operators"
                        else ("operator_number" if parts[-1] == "enterprise_number" else "operator_name")
                    )
                return key

            exc.rename_fields(field_of)
            raise

    def done(created):
        page.flash(page.gettext("Projet créé avec ses deux conventions en brouillon."))
        return page.url("project", id=created["id"])

    return page.submit(send, done, "conventions/project_new.html", **context)


def _people(page, refs) -> dict[str, str]:
    found = {}
    if not page.may("beneficiary.read"):
        return found
    for ref in refs:
        try:
            someone = page.gateway.get(f"/beneficiaries/{ref}", purpose="convention")
            found[ref] = f"{someone['first_name']} {someone['last_name']}"
        except GatewayError:
            pass
    return found


@view("/projets/<id>", "project")
def project(page, id):
    found = page.gateway.get(f"/projects/{id}")
    refs = {t["beneficiary_id"] for t in found["trainees"]} | {i["beneficiary_id"] for i in found["internships"]}
    # The partner meetings about the project (web/views/meetings.py).
    meetings = page.gateway.get("/meetings", project_id=id, page=1, page_size=100)["items"]
    return page.render(
        "conventions/project.html", project=found, names=Names(page), people=_people(page, refs), meetings=meetings
    )


@view("/conventions/<id>", "convention")
def convention(page, id):
    found = page.gateway.get(f"/conventions/{id}")
    return page.render("conventions/convention.html", convention=found, next_party=_next_party(found))


def _next_party(convention: dict) -> dict | None:
    if convention["status"] not in ("ready_to_sign", "partially_signed"):
        return None
    return next((p for p in convention["parties"] if not p.get("signed_at")), None)


@view("/conventions/<id>/signer", "sign", methods=("POST",))
def sign(page, id):
    found = page.gateway.get(f"/conventions/{id}")
    body = clean(
        {
            "party": page.request.form.get("party", ""),
            "signer_name": page.request.form.get("signer_name", "").strip(),
            "signer_function": page.request.form.get("signer_function", "").strip(),
        }
    )

    def done(answer):
        page.flash(
            page.gettext("Signature enregistrée.")
            if answer["status"] != "signed"
            else page.gettext("Signature enregistrée : la convention est signée par toutes les parties.")
        )
        return page.url("convention", id=id)

    return page.submit(
        lambda: page.gateway.post(f"/conventions/{id}/sign", body),
        done,
        "conventions/convention.html",
        convention=found,
        next_party=_next_party(found),
    )


@view("/conventions/<id>/etape/<verb>", "convention_move", methods=("POST",))
def convention_move(page, id, verb):
    if verb not in VERBS:
        raise NotFound()
    found = page.gateway.get(f"/conventions/{id}")
    messages = {
        "submit": page.gettext("Convention prête à signer."),
        "activate": page.gettext("Convention active : la formation se déroule sous elle."),
        "complete": page.gettext("Convention terminée."),
    }

    def done(_):
        page.flash(messages[verb])
        return page.url("convention", id=id)

    return page.submit(
        lambda: page.gateway.post(f"/conventions/{id}/{verb}"),
        done,
        "conventions/convention.html",
        convention=found,
        next_party=_next_party(found),
    )


@view("/projets/<id>/stagiaires", "enrol", methods=("GET", "POST"))
def enrol(page, id):
    found = page.gateway.get(f"/projects/{id}")
    listed = (
        page.gateway.get("/beneficiaries", page=1, page_size=100, purpose="convention")["items"]
        if page.may("beneficiary.read")
        else []
    )
    people = [p for p in listed if p["status"] == "active"]
    options = [(p["id"], f"{p['last_name']}, {p['first_name']}") for p in people]
    context = dict(project=found, person_options=options)
    if page.request.method == "GET":
        values = {"internship_end": date.today().isoformat(), "start_date": date.today().isoformat()}
        return page.render("conventions/enrol.html", form=Form(values), **context)
    f = page.request.form
    person = f.get("beneficiary_id", "")
    internship = clean(
        {
            "beneficiary_id": person,
            "outcome": "confirmed",
            "start_date": f.get("internship_start", ""),
            "end_date": f.get("internship_end", ""),
        }
    )
    enrolment = clean(
        {
            "beneficiary_id": person,
            "start_date": f.get("start_date", ""),
            "planned_end": f.get("planned_end", ""),
            "tutor": clean({"name": f.get("tutor_name", "").strip(), "function": f.get("tutor_function", "").strip()}),
        }
    )

    def send():
        # The confirmation internship first (a trainee is enrolled only once it confirmed), then the enrolment.
        try:
            page.gateway.post(f"/projects/{id}/internships", internship)
        except GatewayError as exc:
            dates = ("start_date", "end_date")
            exc.rename_fields(lambda k: "internship_" + k.replace("_date", "") if k in dates else k)
            raise
        try:
            return page.gateway.post(f"/projects/{id}/trainees", enrolment)
        except GatewayError as exc:
            exc.rename_fields(lambda k: k.replace("tutor.", "tutor_"))
            raise

    def done(_):
        page.flash(page.gettext("Stage de confirmation et inscription enregistrés."))
        return page.url("project", id=id)

    return page.submit(send, done, "conventions/enrol.html", **context)


@view("/projets/<id>/comites", "committee", methods=("GET", "POST"))
def committee(page, id):
    found = page.gateway.get(f"/projects/{id}")
    options = {}
    for versions in found["conventions"].values():
        for p in versions[-1]["parties"] if versions else []:
            options.setdefault(p["party"], party_label(page, p))
    context = dict(project=found, party_options=list(options.items()))
    if page.request.method == "GET":
        return page.render(
            "conventions/committee.html",
            form=Form({"held_on": date.today().isoformat(), "kind": "follow_up"}),
            **context,
        )
    f = page.request.form
    body = clean({"kind": f.get("kind", ""), "held_on": f.get("held_on", ""), "attendees": f.getlist("attendees")})
    body.setdefault("attendees", [])

    def done(_):
        page.flash(page.gettext("Comité enregistré."))
        return page.url("project", id=id)

    return page.submit(
        lambda: page.gateway.post(f"/projects/{id}/committees", body), done, "conventions/committee.html", **context
    )


def party_label(page, party: dict) -> str:
    if party["party"] == "mission":
        return page.gettext("La Mission")
    if party["party"] == "employer":
        return page.gettext("L'employeur")
    return page.gettext("Opérateur de formation") + (f" {party['name']}" if party.get("name") else "")
