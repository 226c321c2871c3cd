"""The counsellor's day: caseload, intake, a person's file, assessment, plan, stages, notes, proposals,
first contract, six-month check and exit. Every read and write is a gateway call with the user's token."""

from __future__ import annotations

import functools
from datetime import date, datetime
from zoneinfo import ZoneInfo

from stdnum.be import bis, nn
from werkzeug.exceptions import NotFound

from kit import taxonomy
from kit.reference import walloon_municipalities
from web import labels
from web.app import Form, view
from web.gateway import GatewayError

PAGE_SIZE = 100
# The Missions' time, for the hour a file was changed at.
BRUSSELS = ZoneInfo("Europe/Brussels")


def municipalities() -> list[dict]:
    """Wallonia's municipalities by French name, with their REFNIS code (the services' reference data)."""
    return sorted(
        ({"code": m["id"], "name": m["name"]["fr"]} for m in walloon_municipalities()), key=lambda m: m["name"]
    )


def clean(values: dict) -> dict:
    """Empty fields left out, so the service's defaults apply and a required one is named as missing."""
    return {k: v for k, v in values.items() if v not in ("", None, [])}


def digits(text: str) -> str:
    """A national or enterprise number as typed (dots, dashes, spaces) down to its digits."""
    return "".join(ch for ch in text if ch.isdigit())


def as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value  # sent as typed: the gateway names the field


# -- caseload ("mon portefeuille") ----------------------------------------------


def group_fields(ticked: list[str]):
    """The gateway's ``target_groups.<i>.<field>`` as the form's field of the i-th group ticked."""

    def field_of(key: str) -> str:
        parts = key.split(".")
        if parts[0] == "target_groups" and len(parts) > 2 and parts[1].isdigit() and int(parts[1]) < len(ticked):
            return f"tg-{ticked[int(parts[1])]}-{parts[2]}"
        return key

    return field_of


@view("/beneficiaires", "caseload")
def caseload(page):
    """The signed-in counsellor's active people, counted by stage, each with its next due item."""
    stage = page.request.args.get("etape") or None
    if stage not in labels.STAGES:
        stage = None
    number = as_int(page.request.args.get("page", 1))
    number = number if isinstance(number, int) and number > 0 else 1
    mine = page.gateway.get(
        "/beneficiaries/caseload", stage=stage, page=number, page_size=PAGE_SIZE, purpose="caseload"
    )
    pages = max(1, -(-mine["total"] // PAGE_SIZE))
    context = dict(
        people=mine["items"],
        by_stage=[(code, label, mine["by_stage"].get(code, 0)) for code, label in labels.STAGES.items()],
        active=mine["active"],
        dropped_out=mine["dropped_out"],
        stage=stage,
        total=mine["total"],
        number=number,
        pages=pages,
        today=date.today().isoformat(),
    )
    if page.htmx and page.request.headers.get("HX-Target") == "results":
        return page.render("people/_caseload_results.html", **context)
    return page.render("people/caseload.html", **context)


# -- intake ----------------------------------------------------------------
INTAKE_FIELDS = (
    "niss",
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "municipality",
    "registered_on",
    "phone",
    "email",
    "referrer_type",
    "referrer_organisation",
)


@view("/beneficiaires/nouveau", "intake", methods=("GET", "POST"))
def intake(page):
    context = dict(municipalities=municipalities(), today=date.today().isoformat())
    if page.request.method == "GET":
        return page.render("people/intake.html", form=Form({"registered_on": date.today().isoformat()}), **context)
    form = page.request.form
    body = clean({name: form.get(name, "").strip() for name in INTAKE_FIELDS})
    provisional = bool(form.get("provisional"))
    if provisional:
        # No number yet: the explicit choice, sent as such (a number typed as well is named by the service).
        body["identity"] = "provisional"
        if form.get("confirmed_other_person"):
            body["confirmed_other_person"] = True
    if "niss" in body:
        body["niss"] = digits(body["niss"])
    groups = [g for g in labels.TARGET_GROUPS if form.get(f"tg-{g}")]
    since = body.get("registered_on") or date.today().isoformat()
    body["target_groups"] = [
        clean({"group": g, "evidence": form.get(f"tg-{g}-evidence", "").strip(), "since": since}) for g in groups
    ]

    # The file a provisional intake looks like, for the page to link to (filled by a refusal below).
    lookalike: dict = {}
    context["lookalike"] = lookalike
    known: dict = {}  # the file a 409 names: the page links to it rather than open a second one

    def register():
        try:
            return page.gateway.post("/beneficiaries", body)
        except GatewayError as exc:
            if exc.existing and provisional:
                lookalike["id"] = exc.existing  # refused beside the name: the counsellor decides
                raise
            if exc.existing:
                known.update(id=exc.existing, reopenable=bool(exc.problem.get("reopenable")))
                exc.problem["errors"] = {"niss": [known_file_message(page, known["reopenable"])]}
                raise
            exc.rename_fields(group_fields(groups))
            raise

    def done(created):
        page.flash(page.gettext("Dossier ouvert."))
        return page.url("person", id=created["id"])

    return page.submit(register, done, "people/intake.html", known=known, **context)


def known_file_message(page, reopenable: bool) -> str:
    """Why intake refused a number on file, and what to do instead."""
    if reopenable:
        return page.gettext(
            "Cette personne a déjà un dossier dans la Mission, clôturé : rouvrez-le (nouvel épisode) plutôt que "
            "d'ouvrir un second dossier."
        )
    return page.gettext(
        "Cette personne a déjà un dossier dans la Mission, toujours suivi : il n'en faut pas un second."
    )


# -- a provisional identity completed, or merged into the file that holds the number ----------------------
@view("/beneficiaires/<id>/identite", "complete_identity", methods=("GET", "POST"))
def complete_identity(page, id):
    """« Compléter l'identité » : the number of a person taken in without one. A number another file holds is
    refused beside the field, naming that file, with the merge to confirm (``merge_identity``)."""
    someone = load_person(page, id)
    holder: dict = {}
    context = dict(person=someone, holder=holder)
    if page.request.method == "GET":
        return page.render("people/identity.html", form=Form({}), **context)
    niss = digits(page.request.form.get("niss", ""))

    def send():
        try:
            return page.gateway.post(f"/beneficiaries/{id}/identity", clean({"niss": niss}))
        except GatewayError as exc:
            if exc.existing:
                holder["id"] = exc.existing
            raise

    def done(_):
        page.flash(page.gettext("Identité complétée."))
        return page.url("person", id=id)

    return page.submit(send, done, "people/identity.html", **context)


@view("/beneficiaires/<id>/fusion", "merge_identity", methods=("POST",))
def merge_identity(page, id):
    """The merge the identity page offered: this provisional file folded into the file that holds the number."""
    someone = load_person(page, id)
    form = page.request.form
    body = {"niss": digits(form.get("niss", "")), "into": form.get("into", "")}
    context = dict(person=someone, holder={"id": body["into"]})

    def done(kept):
        page.flash(
            page.gettext("Dossier provisoire fusionné dans ce dossier : la fusion est gardée dans son historique.")
        )
        return page.url("person", id=kept["id"])

    return page.submit(
        lambda: page.gateway.post(f"/beneficiaries/{id}/merge", body), done, "people/identity.html", **context
    )


@view("/validation/niss", "check_niss", methods=("POST",))
def check_niss(page):
    """As typed (htmx): the same python-stdnum rules the beneficiary service applies at intake, where a national
    register number and a BIS number are both accepted."""
    # Posted (with the form's CSRF token), never in a URL: a national number stays out of access logs.
    raw = digits(page.request.form.get("niss", ""))
    if not raw:
        state = "empty"
    elif nn.is_valid(raw):
        state = "national_register"
    elif bis.is_valid(raw):
        state = "bis"
    else:
        state = "invalid"
    return page.render("people/_niss_check.html", state=state)


# -- a person's file ---------------------------------------------------------
class Names:
    """Vacancy and employer names for one page, each asked of the gateway once (``prefetch``: all at once)."""

    def __init__(self, page):
        self.page, self.vacancies, self.employers = page, {}, {}

    def _vacancy(self, vid: str) -> dict:
        try:
            return self.page.gateway.get(f"/vacancies/{vid}")
        except GatewayError:
            return {"id": vid, "title": vid, "employer_id": None}

    def _employer(self, eid: str) -> dict:
        try:
            return self.page.gateway.get(f"/employers/{eid}")
        except GatewayError:
            return {"id": eid, "name": eid}

    def prefetch(self, vacancy_ids, employer_ids=()) -> None:
        """Ask for these vacancies together, then for their employers and ``employer_ids`` together."""
        wanted = {vid: (lambda vid=vid: self._vacancy(vid)) for vid in vacancy_ids if vid not in self.vacancies}
        self.vacancies.update(self.page.gather(wanted))
        employers = {v.get("employer_id") for v in self.vacancies.values()} | set(employer_ids)
        wanted = {eid: (lambda eid=eid: self._employer(eid)) for eid in employers if eid and eid not in self.employers}
        self.employers.update(self.page.gather(wanted))

    def vacancy(self, vid: str) -> dict:
        if vid not in self.vacancies:
            self.vacancies[vid] = self._vacancy(vid)
        return self.vacancies[vid]

    def employer(self, eid: str | None) -> dict:
        if not eid:
            return {"name": ""}
        if eid not in self.employers:
            self.employers[eid] = self._employer(eid)
        return self.employers[eid]


def load_person(page, pid: str, purpose: str = "accompaniment") -> dict:
    return page.gateway.get(f"/beneficiaries/{pid}", purpose=purpose)


@view("/beneficiaires/<id>", "person")
def person(page, id):
    """The file as one page. Its reads are independent gateway calls, each under its own policy action: they go
    out together (``page.gather``), in three rounds: the file's own parts; then what depends on them (the
    ranked vacancies of an active person without a contract, the labels of the plan's target occupations);
    then the names of the vacancies and employers the page shows."""
    g = page.gateway
    calls = {
        "someone": lambda: load_person(page, id),
        "pathway": lambda: g.get(f"/beneficiaries/{id}/pathway"),
        "plans": lambda: g.get(f"/beneficiaries/{id}/plan"),
        "assessments": lambda: g.get(f"/beneficiaries/{id}/assessments"),
        "corrections": lambda: g.get(f"/beneficiaries/{id}/corrections"),
        "agency_facts": lambda: g.get(f"/beneficiaries/{id}/agency-facts"),
    }
    for kind in ("social", "pedagogical"):
        if page.may(f"beneficiary.notes.{kind}"):
            calls[f"notes.{kind}"] = lambda kind=kind: g.get(f"/beneficiaries/{id}/notes/{kind}")
    if page.may("convention.read"):
        calls["trainings"] = lambda: g.get(f"/beneficiaries/{id}/trainings")
    matching = page.may("matching.read")
    if matching:
        calls["proposals"] = lambda: g.get("/matching/proposals", beneficiary_id=id)
    got = got_first = page.gather(calls)
    someone, pathway, plans, assessments = got["someone"], got["pathway"], got["plans"], got["assessments"]
    notes = {name.split(".", 1)[1]: value for name, value in got.items() if name.startswith("notes.")}
    proposals = got.get("proposals", [])

    def ranking():
        try:
            return g.get(f"/matching/beneficiaries/{id}/vacancies", limit=10)
        except GatewayError as exc:
            if exc.status not in (404, 409, 422):
                raise
            return []

    def label(code):
        try:
            return g.get(f"/matching/occupations/{code}")["label"]
        except GatewayError:
            return code

    later = {}
    if matching and someone["status"] == "active" and not someone.get("contract"):
        later["ranked"] = ranking
    if plans and matching:
        for code in plans[-1]["target_occupations"]:
            later[f"target.{code}"] = lambda code=code: label(code)
    got = page.gather(later)
    ranked = got.get("ranked", [])
    targets = {name.split(".", 1)[1]: value for name, value in got.items() if name.startswith("target.")}
    hired = next((p for p in proposals if p["state"] == "hired"), None)
    names = Names(page)
    names.prefetch(
        [p["vacancy_id"] for p in proposals] + [r["vacancy_id"] for r in ranked],
        [c.get("employer_id") for c in [someone.get("contract") or {}]],
    )
    return page.render(
        "people/person.html",
        targets=targets,
        person=someone,
        pathway=pathway,
        plan=plans[-1] if plans else None,
        notes=notes,
        proposals=proposals,
        ranked=ranked,
        names=names,
        hired=hired,
        transitions=list(reversed(pathway["transitions"])),
        assessments=assessments,
        competence_label=competence_label,
        corrections=got_first["corrections"],
        agency_facts=got_first["agency_facts"],
        trainings=got_first.get("trainings"),
        identity_form=Form({}),
    )


@functools.cache
def _competences() -> dict[str, str]:
    # Reference data, as the municipalities: the taxonomy matching ranks with (kit.taxonomy, same setting).
    return dict(taxonomy.default().competences)


def competence_label(code: str) -> str:
    return _competences().get(code, code)


# -- assessment and plan -------------------------------------------------------
@view("/metiers", "occupations")
def occupations(page):
    """Occupations for a job title, best first (the gateway's occupation suggester): a fragment for htmx."""
    title = page.request.args.get("intitule", "").strip()
    target = page.request.args.get("pour", "")
    found = page.gateway.get("/matching/occupation-suggestions", title=title, limit=8) if len(title) >= 2 else []
    return page.render("people/_occupations.html", found=found, title=title, target=target)


@view("/beneficiaires/<id>/evaluation", "assess", methods=("GET", "POST"))
def assess(page, id):
    someone = load_person(page, id)
    code = page.request.values.get("metier", "").strip()
    title = page.request.args.get("intitule", "").strip()
    found = page.gateway.get("/matching/occupation-suggestions", title=title, limit=8) if len(title) >= 2 else []
    occupation = page.gateway.get(f"/matching/occupations/{code}") if code else None
    context = dict(person=someone, occupation=occupation, found=found, title=title, today=date.today().isoformat())
    if page.request.method == "GET":
        return page.render("people/assess.html", **context)
    form = page.request.form
    have = [c for c in form.getlist("have") if occupation and c in {x["code"] for x in occupation["competences"]}]
    body = clean({"assessed_on": form.get("assessed_on", "")})
    body["competences"] = [
        {
            "code": c,
            "level": as_int(form.get(f"level-{c}", "2")),
            "kind": "technical",
            "source": form.get(f"source-{c}", "work"),
        }
        for c in have
    ]

    def send():
        try:
            return page.gateway.post(f"/beneficiaries/{id}/assessments", body)
        except GatewayError as exc:

            def field_of(key):  # competences.<i>.level → the level of the i-th competence ticked
                parts = key.split(".")
                if parts[0] == "competences" and len(parts) > 2 and parts[1].isdigit():
                    return f"level-{have[int(parts[1])]}"
                return "have" if key == "competences" else key

            exc.rename_fields(field_of)
            raise

    def done(_):
        page.flash(page.gettext("Évaluation enregistrée. Voici le plan d'insertion tiré de ses manques."))
        return page.url("plan", id=id, metier=code, acquis=",".join(have))

    return page.submit(send, done, "people/assess.html", **context)


@view("/beneficiaires/<id>/plan", "plan", methods=("GET", "POST"))
def plan(page, id):
    someone = load_person(page, id)
    code = page.request.values.get("metier", "").strip()
    have = {c for c in page.request.values.get("acquis", "").split(",") if c}
    occupation = page.gateway.get(f"/matching/occupations/{code}") if code else None
    gaps = [c for c in (occupation or {}).get("competences", []) if c["code"] not in have]
    context = dict(person=someone, occupation=occupation, gaps=gaps, code=code, have=",".join(sorted(have)))
    if page.request.method == "GET":
        missing = ", ".join(c["label"] for c in gaps[:6])
        first = page.gettext("Acquérir : %(what)s") % {"what": missing} if missing else ""
        values = {
            "missing": [c["code"] for c in gaps],
            "action-0-kind": "alternating_training" if gaps else "job_search",
            "action-0-description": first,
            "action-1-kind": "job_search",
            "action-1-description": page.gettext("Recherche d'emploi accompagnée") if gaps else "",
            "contract_wishes": ["permanent", "fixed_term"],
            "mobility_km": "30",
        }
        return page.render("people/plan.html", form=Form(_Values(values)), **context)
    form = page.request.form
    actions = []
    for i in range(3):
        description = form.get(f"action-{i}-description", "").strip()
        if description:
            actions.append(
                clean(
                    {
                        "kind": form.get(f"action-{i}-kind"),
                        "description": description,
                        "due": form.get(f"action-{i}-due", ""),
                    }
                )
            )
    body = clean(
        {
            "target_occupations": [code] if code else [],
            "missing_competences": form.getlist("missing"),
            "actions": actions,
            "contract_wishes": form.getlist("contract_wishes"),
            "hours_wish": as_int(form.get("hours_wish")) if form.get("hours_wish") else None,
            "mobility_km": as_int(form.get("mobility_km", "")) if form.get("mobility_km") else None,
            "available_from": form.get("available_from", ""),
        }
    )
    body["agreed_with_person"] = form.get("agreed_with_person") == "yes"
    body.setdefault("actions", [])
    body.setdefault("target_occupations", [])
    body.setdefault("contract_wishes", [])

    def done(answer):
        page.flash(page.gettext("Plan d'insertion convenu (version %(n)s).") % {"n": answer["version"]})
        return page.url("person", id=id)

    return page.submit(
        lambda: page.gateway.post(f"/beneficiaries/{id}/plan", body), done, "people/plan.html", **context
    )


class _Values(dict):
    def getlist(self, name):
        value = self.get(name) or []
        return value if isinstance(value, list) else [value]


# -- stages, notes -------------------------------------------------------------
@view("/beneficiaires/<id>/etape", "stage", methods=("GET", "POST"))
def stage(page, id):
    someone = load_person(page, id)
    context = dict(person=someone)
    if page.request.method == "GET":
        return page.render("people/stage.html", **context)
    form = page.request.form
    if form.get("form") == "drop_out":
        body = clean({"reason": form.get("reason", ""), "why": form.get("why", "").strip()})
        path = f"/beneficiaries/{id}/pathway/drop-out"
        message = page.gettext("Abandon enregistré.")
    else:
        body = clean({"to": form.get("to", ""), "why": form.get("why", "").strip()})
        path = f"/beneficiaries/{id}/pathway/move"
        message = page.gettext("Étape changée.")

    def done(_):
        page.flash(message)
        return page.url("person", id=id)

    return page.submit(lambda: page.gateway.post(path, body), done, "people/stage.html", **context)


@view("/beneficiaires/<id>/notes/<kind>", "note", methods=("GET", "POST"))
def note(page, id, kind):
    if kind not in ("social", "pedagogical"):
        raise NotFound()
    someone = load_person(page, id)
    context = dict(person=someone, kind=kind)
    if page.request.method == "GET":
        return page.render("people/note.html", **context)
    body = {"text": page.request.form.get("text", "").strip()}

    def done(_):
        page.flash(page.gettext("Note enregistrée."))
        return page.url("person", id=id) + "#notes"

    return page.submit(
        lambda: page.gateway.post(f"/beneficiaries/{id}/notes/{kind}", body), done, "people/note.html", **context
    )


# -- proposals ---------------------------------------------------------------
@view("/propositions", "propose", methods=("POST",))
def propose(page):
    form = page.request.form
    body = {"vacancy_id": form.get("vacancy_id", ""), "beneficiary_id": form.get("beneficiary_id", "")}
    back = form.get("back") or page.url("person", id=body["beneficiary_id"])
    key = form.get("once", "")
    from web.sessions import claim_once, settle_once

    earlier = claim_once(page.session, key)
    if earlier is not None:
        return page.redirect(earlier or back)
    try:
        page.gateway.post("/matching/proposals", body)
        page.flash(page.gettext("Proposition faite."))
    except GatewayError as exc:
        if exc.status != 409:
            settle_once(page.session, key, None)
            raise
        page.flash(page.gettext("Une proposition est déjà en cours pour cette personne et cette offre."))
    settle_once(page.session, key, back)
    return page.redirect(back)


@view("/propositions/<pid>/etat", "move_proposal", methods=("POST",))
def move_proposal(page, pid):
    form = page.request.form
    back = form.get("back") or "/"
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    body = clean({"to": form.get("to", ""), "reason": form.get("reason", "").strip()})
    key = form.get("once", "")
    from web.sessions import claim_once, settle_once

    earlier = claim_once(page.session, key)
    if earlier is not None:
        return page.redirect(earlier or back)
    try:
        moved = page.gateway.post(f"/matching/proposals/{pid}/transitions", body)
        page.flash(
            page.gettext("Proposition : %(state)s.")
            % {"state": page.gettext(labels.PROPOSAL_STATES.get(moved["state"], moved["state"]))}
        )
    except GatewayError as exc:
        if exc.status != 422:
            settle_once(page.session, key, None)
            raise
        messages = [page.gettext(labels.error_message(m)) for ms in exc.errors.values() for m in ms]
        page.flash(page.gettext("Proposition inchangée : %(why)s") % {"why": " ".join(messages)})
    settle_once(page.session, key, back)
    return page.redirect(back)


# -- outcomes ------------------------------------------------------------------
@view("/beneficiaires/<id>/contrat", "contract", methods=("GET", "POST"))
def contract(page, id):
    someone = load_person(page, id)
    employers = page.gateway.get("/employers", page=1, page_size=100)["items"] if page.may("employer.read") else []
    context = dict(person=someone, employers=employers, municipalities=municipalities())
    if page.request.method == "GET":
        values = {
            "employer_id": page.request.args.get("employeur", ""),
            "contract_type": page.request.args.get("type", ""),
            "signed_on": date.today().isoformat(),
        }
        return page.render("people/contract.html", form=Form(values), **context)
    form = page.request.form
    body = clean(
        {
            "signed_on": form.get("signed_on", ""),
            "employer_id": form.get("employer_id", ""),
            "contract_type": form.get("contract_type", ""),
            "hours_per_week": as_int(form.get("hours_per_week", "")) if form.get("hours_per_week") else None,
            "workplace_municipality": form.get("workplace_municipality", ""),
        }
    )

    def done(answer):
        page.flash(
            page.gettext("Premier contrat enregistré. Suivi à six mois dû le %(due)s.")
            % {"due": date.fromisoformat(answer["check_due"]).strftime("%d/%m/%Y")}
        )
        return page.url("person", id=id)

    return page.submit(
        lambda: page.gateway.post(f"/beneficiaries/{id}/outcomes/contract", body),
        done,
        "people/contract.html",
        **context,
    )


@view("/beneficiaires/<id>/suivi", "six_month_check", methods=("GET", "POST"))
def six_month_check(page, id):
    someone = load_person(page, id)
    context = dict(person=someone)
    if page.request.method == "GET":
        return page.render("people/check.html", form=Form({"checked_on": date.today().isoformat()}), **context)
    form = page.request.form
    body = clean({"checked_on": form.get("checked_on", ""), "source": form.get("source", "")})
    if form.get("still_employed") in ("yes", "no"):
        body["still_employed"] = form.get("still_employed") == "yes"

    def done(_):
        page.flash(page.gettext("Suivi à six mois enregistré."))
        return page.url("person", id=id)

    return page.submit(
        lambda: page.gateway.post(f"/beneficiaries/{id}/outcomes/six-month-check", body),
        done,
        "people/check.html",
        **context,
    )


@view("/beneficiaires/<id>/sortie", "exit", methods=("GET", "POST"))
def exit_path(page, id):
    someone = load_person(page, id)
    context = dict(person=someone)
    if page.request.method == "GET":
        return page.render("people/exit.html", **context)
    form = page.request.form
    body = clean({"reason": form.get("reason", ""), "why": form.get("why", "").strip()})

    def done(_):
        page.flash(page.gettext("Sortie enregistrée : le parcours est clôturé."))
        return page.url("person", id=id)

    return page.submit(
        lambda: page.gateway.post(f"/beneficiaries/{id}/exit", body), done, "people/exit.html", **context
    )


@view("/beneficiaires/<id>/rouvrir", "reopen", methods=("GET", "POST"))
def reopen(page, id):
    """A person who left comes back: a new episode on the closed file, from the intake stage."""
    someone = load_person(page, id)
    context = dict(person=someone)
    if page.request.method == "GET":
        values = {"started_on": date.today().isoformat(), "referrer_type": "self"}
        return page.render("people/reopen.html", form=Form(values), **context)
    form = page.request.form
    body = clean(
        {
            "started_on": form.get("started_on", ""),
            "referrer_type": form.get("referrer_type", ""),
            "referrer_organisation": form.get("referrer_organisation", "").strip(),
            "why": form.get("why", "").strip(),
        }
    )

    def done(answer):
        page.flash(page.gettext("Dossier rouvert : épisode %(n)s, à l'étape d'accueil.") % {"n": answer["episode"]})
        return page.url("person", id=id)

    return page.submit(
        lambda: page.gateway.post(f"/beneficiaries/{id}/episodes", body), done, "people/reopen.html", **context
    )


# -- corrections with history ---------------------------------------------------
CORRECTED_FIELDS = ("first_name", "last_name", "birth_date", "gender", "municipality", "phone", "email")
CLEARABLE = ("phone", "email")  # left empty, they are cleared: the person no longer has one


def stale_message(page, problem: dict, what: str = "person") -> str:
    """The 409 of a stale correction in the user's words: who changed the record, at what time, what to do."""
    when = problem.get("changed_at") or ""
    try:
        at = datetime.fromisoformat(when).astimezone(BRUSSELS).strftime("%H:%M")
    except ValueError:
        at = "?"
    if what == "employer":
        text = page.gettext(
            "Cette fiche a été modifiée entre-temps par %(who)s à %(time)s : rechargez-la et refaites votre correction."
        )
    elif what == "contact":
        text = page.gettext(
            "Ce contact a été modifié entre-temps par %(who)s à %(time)s : rechargez-le et refaites votre correction."
        )
    else:
        text = page.gettext(
            "Ce dossier a été modifié entre-temps par %(who)s à %(time)s : rechargez-le et refaites votre correction."
        )
    return text % {"who": problem.get("changed_by") or "?", "time": at}


def person_form(someone: dict) -> dict:
    """The correction form filled with the file as it is, with the version it shows."""
    values = {name: someone.get(name) or "" for name in CORRECTED_FIELDS} | {"version": someone["version"]}
    for g in someone.get("target_groups", []):
        values[f"tg-{g['group']}"] = "yes"
        values[f"tg-{g['group']}-evidence"] = g.get("evidence") or ""
    return values


def corrected_groups(form, someone: dict) -> list[dict] | None:
    """The target groups ticked, with their evidence (a group kept keeps its start): None when unchanged."""
    held = {g["group"]: g for g in someone.get("target_groups", [])}
    groups = []
    for code in labels.TARGET_GROUPS:
        if not form.get(f"tg-{code}"):
            continue
        evidence = form.get(f"tg-{code}-evidence", "").strip()
        before = held.get(code)
        if before and before.get("evidence") is None and not evidence:
            evidence = None  # sensitive evidence the user may not see: unchanged unless typed again
        groups.append(
            {"group": code, "evidence": evidence, "since": (before or {}).get("since") or date.today().isoformat()}
        )
    unchanged = [
        {"group": g["group"], "evidence": g.get("evidence"), "since": g["since"]}
        for g in someone.get("target_groups", [])
    ]
    key = lambda g: g["group"]  # noqa: E731
    if sorted(groups, key=key) == sorted(unchanged, key=key):
        return None
    return [clean(g) for g in groups]


@view("/beneficiaires/<id>/corriger", "correct_person", methods=("GET", "POST"))
def correct_person(page, id):
    """« Corriger » : identity, contact, municipality and target groups, sent with the version the form showed;
    a file corrected meanwhile by someone else is refused (409) and said so, nothing is overwritten."""
    someone = load_person(page, id)
    context = dict(person=someone, municipalities=municipalities(), today=date.today().isoformat())
    if page.request.method == "GET":
        return page.render("people/correct.html", form=Form(person_form(someone)), **context)
    form = page.request.form
    body: dict = {"version": as_int(form.get("version", ""))}
    for name in CORRECTED_FIELDS:
        typed = form.get(name, "").strip()
        if typed != (someone.get(name) or ""):
            body[name] = typed if typed or name not in CLEARABLE else None
    groups = corrected_groups(form, someone)
    if groups is not None:
        body["target_groups"] = groups

    def send():
        try:
            return page.gateway.patch(f"/beneficiaries/{id}", body)
        except GatewayError as exc:
            if exc.status == 409:
                exc.problem["errors"] = {"_schema": [stale_message(page, exc.problem)]}
            else:
                exc.rename_fields(group_fields([g["group"] for g in groups or []]))
            raise

    def done(_):
        page.flash(page.gettext("Dossier corrigé. La correction est gardée dans son historique."))
        return page.url("person", id=id)

    return page.submit(send, done, "people/correct.html", **context)
