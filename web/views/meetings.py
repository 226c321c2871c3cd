"""« Réunions partenaires »: the Mission's meetings with its local partner organisations (the CLAIS forum).

A list filtered by project, organisation and dates; a form to plan a meeting (projects, organisations
invited, agenda); a meeting's page (agenda, organisations and their attendance, staff present, decisions,
corrections); the minutes' form, which closes the meeting, and the same form to correct closed minutes at the
version read. The convention service checks everything (``convention.meetings``); a meeting holds no
personal data of a person the Mission follows, and the pages say so.

Organisations are named from the partner directory (``GET /partners``) when the user may read it; otherwise
by their type and reference, and the form takes references.
"""

from __future__ import annotations

from datetime import date

from web.app import Form, view
from web.gateway import GatewayError
from web.i18n import N_
from web.labels import PARTNER_TYPES
from web.views.people import clean

MEETING_STATUSES = {"planned": N_("prévue"), "closed": N_("compte rendu clôturé")}
ATTENDANCE = {"present": N_("présent"), "excused": N_("excusé"), "absent": N_("absent")}
DECISION_ROWS = 3  # empty decision rows offered beyond those already recorded


def _directory(page, wanted: list[str] | None = None) -> dict[str, dict] | None:
    """The partner directory's organisations by reference, or None when it cannot be read. When its listing
    does not answer, the organisations ``wanted`` (a meeting's) are asked one by one."""
    if not page.may("employer.partner.read"):
        return None
    try:
        listed = page.gateway.get("/partners", page=1, page_size=100)
    except GatewayError:
        if not wanted:
            return None
        found = {}
        for ref in wanted:
            try:
                found[ref] = page.gateway.get(f"/partners/{ref}")
            except GatewayError:
                pass
        return found
    return {p["id"]: p for p in listed.get("items", [])}


def _namer(page, directory: dict[str, dict] | None):
    def name(partner_id: str, partner_type: str | None = None) -> str:
        found = (directory or {}).get(partner_id)
        if found:
            return found["name"]
        kind = page.gettext(PARTNER_TYPES.get(partner_type or "", N_("Organisation")))
        return f"{kind} {partner_id[:8]}"

    return name


def _projects(page) -> list[dict]:
    return page.gateway.get("/projects", page=1, page_size=100)["items"]


def _context(page, **more):
    return dict(statuses=MEETING_STATUSES, attendance_labels=ATTENDANCE, partner_types=PARTNER_TYPES, **more)


@view("/reunions", "meetings")
def meetings(page):
    args = page.request.args
    filters = clean(
        {
            "project_id": args.get("projet", ""),
            "partner_id": args.get("partenaire", ""),
            "date_from": args.get("du", ""),
            "date_to": args.get("au", ""),
        }
    )
    directory = _directory(page)
    projects = _projects(page)
    form = Form({"projet": args.get("projet", ""), "partenaire": args.get("partenaire", ""), **args})
    try:
        listed = page.gateway.get("/meetings", page=1, page_size=100, **filters)
    except GatewayError as exc:
        if exc.status != 422:
            raise
        names = {"project_id": "projet", "partner_id": "partenaire", "date_from": "du", "date_to": "au"}
        form.errors = {names.get(k, k): v for k, v in exc.errors.items()}
        listed = {"items": [], "total": 0}
    titles = {p["id"]: p["title"] for p in projects}
    return page.render(
        "meetings/meetings.html",
        **_context(
            page,
            meetings=listed["items"],
            total=listed["total"],
            titles=titles,
            project_options=[(p["id"], p["title"]) for p in projects],
            partner_options=sorted(((p["id"], p["name"]) for p in (directory or {}).values()), key=lambda o: o[1]),
            form=form,
            filtered=bool(filters),
        ),
    )


@view("/reunions/nouvelle", "meeting_new", methods=("GET", "POST"))
def meeting_new(page):
    directory = _directory(page)
    projects = _projects(page)
    context = _context(
        page,
        project_options=[(p["id"], p["title"]) for p in projects],
        partner_options=sorted(((p["id"], p["name"]) for p in (directory or {}).values()), key=lambda o: o[1]),
        directory=directory is not None,
    )
    if page.request.method == "GET":
        values = {"held_on": date.today().isoformat(), "project_ids": page.request.args.getlist("projet")}
        return page.render("meetings/meeting_new.html", form=Form(values), **context)
    f = page.request.form
    partners = f.getlist("partner_ids")
    if directory is None:
        partners = [line.strip() for line in f.get("partner_refs", "").splitlines() if line.strip()]
    body = clean(
        {
            "title": f.get("title", "").strip(),
            "held_on": f.get("held_on", ""),
            "starts_at": f.get("starts_at", "").strip(),
            "place": f.get("place", "").strip(),
            "project_ids": f.getlist("project_ids"),
            "agenda": [{"title": line.strip()} for line in f.get("agenda", "").splitlines() if line.strip()],
        }
    )
    body["partner_ids"] = partners  # required: none chosen is named beside the list
    body.setdefault("agenda", [])

    def send():
        try:
            return page.gateway.post("/meetings", body)
        except GatewayError as exc:
            field = "partner_ids" if directory is not None else "partner_refs"
            exc.rename_fields(
                lambda k: (
                    field
                    if k.startswith("partner_ids")
                    else k.split(".")[0]
                    if k.startswith(("agenda", "project_ids"))
                    else k
                )
            )
            raise

    def done(created):
        page.flash(page.gettext("Réunion enregistrée."))
        return page.url("meeting", id=created["id"])

    return page.submit(send, done, "meetings/meeting_new.html", **context)


@view("/reunions/<id>", "meeting")
def meeting(page, id):
    found = page.gateway.get(f"/meetings/{id}")
    name = _namer(page, _directory(page, [p["partner_id"] for p in found["partners"]]))
    return page.render(
        "meetings/meeting.html",
        **_context(page, meeting=found, name=name, may_minute=_may_minute(page, found)),
    )


def _may_minute(page, found: dict) -> bool:
    return page.may("convention.meeting.write") and found["held_on"] <= date.today().isoformat()


def _minutes_values(found: dict) -> dict:
    """The form's values from the minutes on file (a correction starts from them)."""
    values: dict = {"version": str(found["version"])}
    for p in found["partners"]:
        values[f"attendance-{p['partner_id']}"] = p["attendance"] or ""
    values["staff_present"] = "\n".join(
        f"{s['name']}, {s['function']}" if s.get("function") else s["name"] for s in found["staff_present"]
    )
    for i, d in enumerate(found["decisions"]):
        values[f"decision-{i}-text"] = d["text"]
        values[f"decision-{i}-acts"] = d["acts"]
        values[f"decision-{i}-due_on"] = d["due_on"]
    return values


@view("/reunions/<id>/compte-rendu", "meeting_minutes", methods=("GET", "POST"))
def meeting_minutes(page, id):
    found = page.gateway.get(f"/meetings/{id}")
    name = _namer(page, _directory(page, [p["partner_id"] for p in found["partners"]]))
    rows = len(found["decisions"]) + DECISION_ROWS
    acts_options = [("mission", page.gettext("La Mission"))] + [
        (p["partner_id"], name(p["partner_id"], p["partner_type"])) for p in found["partners"]
    ]
    context = _context(page, meeting=found, name=name, rows=rows, acts_options=acts_options)
    if page.request.method == "GET":
        return page.render("meetings/minutes.html", form=Form(_minutes_values(found)), **context)
    f = page.request.form
    staff = []
    for line in f.get("staff_present", "").splitlines():
        if line.strip():
            who, _, function = line.partition(",")
            staff.append(clean({"name": who.strip(), "function": function.strip()}))
    decisions, positions = [], []
    for i in range(rows):
        text = f.get(f"decision-{i}-text", "").strip()
        if text:
            positions.append(i)
            decisions.append(
                {"text": text, "acts": f.get(f"decision-{i}-acts", ""), "due_on": f.get(f"decision-{i}-due_on", "")}
            )
    body: dict = {
        "attendance": [
            {"partner_id": p["partner_id"], "status": f.get(f"attendance-{p['partner_id']}", "")}
            for p in found["partners"]
        ],
        "staff_present": staff,
        "decisions": decisions,
    }
    closed = found["status"] == "closed"
    if closed:
        body["version"] = int(f.get("version", "0") or 0)

    def field_of(key: str) -> str:
        parts = key.split(".")
        if parts[0] == "attendance" and len(parts) > 1 and parts[1].isdigit():
            return f"attendance-{found['partners'][int(parts[1])]['partner_id']}"
        if parts[0] == "decisions" and len(parts) > 2 and parts[1].isdigit():
            return f"decision-{positions[int(parts[1])]}-{parts[2]}"
        return parts[0]

    def send():
        try:
            if closed:
                return page.gateway.patch(f"/meetings/{id}/minutes", body)
            return page.gateway.post(f"/meetings/{id}/minutes", body)
        except GatewayError as exc:
            exc.rename_fields(field_of)
            raise

    def done(_):
        page.flash(page.gettext("Compte rendu corrigé.") if closed else page.gettext("Compte rendu enregistré."))
        return page.url("meeting", id=id)

    return page.submit(send, done, "meetings/minutes.html", **context)
