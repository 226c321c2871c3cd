"""The director's page: the Mission's headline indicators for a period, a breakdown as published (small cells
hidden by the reporting service before anything reaches the browser), and the period submission with four-eyes
approval (the reporting service refuses an approval by the person who submitted)."""

from __future__ import annotations

import re
from datetime import date

from web.app import Form, view
from web.gateway import GatewayError
from web.i18n import N_

PERIOD = re.compile(r"^[0-9]{4}(-Q[1-4]|-[0-9]{2})?$")
HEADLINE = {
    "people_accompanied": N_("Personnes accompagnées"),
    "entries": N_("Entrées en parcours"),
    "returns": N_("Retours (dossiers rouverts)"),
    "first_contracts": N_("Premiers contrats"),
    "employed_after_6_months": N_("Toujours en emploi après six mois"),
    "exits": N_("Sorties"),
    "dropouts": N_("Abandons"),
    "proposals": N_("Propositions"),
    "hires": N_("Engagements"),
    "vacancies_prospected": N_("Offres prospectées"),
    "vacancies_filled": N_("Offres pourvues"),
    "conventions_signed": N_("Conventions signées"),
    "commitments_fulfilled": N_("Engagements d'embauche tenus"),
}
SUBMISSION_STATUSES = {"submitted": N_("soumise"), "approved": N_("approuvée"), "superseded": N_("remplacée")}


def _period(page) -> str:
    period = page.request.values.get("periode", "").strip()
    return period if PERIOD.match(period) else str(date.today().year)


def _dashboard(page, period: str, form: Form | None = None, status: int = 200):
    headline = page.gateway.get("/indicators/headline", period=period)["indicators"]
    before = str(int(period[:4]) - 1) + period[4:]  # the same period a year earlier
    earlier = page.gateway.get("/indicators/headline", period=before)["indicators"]
    figures = [
        (name, label, headline.get(name), earlier.get(name)) for name, label in HEADLINE.items() if name in headline
    ]
    contracts, people = headline.get("first_contracts"), headline.get("people_accompanied")
    rate = (contracts / people) if people and contracts is not None else None
    try:
        breakdown = page.gateway.get(
            "/indicators/people_accompanied/publication", period=period, columns="target_group"
        )
    except GatewayError as exc:
        if exc.status != 422:
            raise
        breakdown = None  # fewer than 5 people in all, or a month: nothing publishable (the reporting service says)
    submissions = page.gateway.get("/submissions")
    exits = None
    if "-Q" in period or len(period) == 4:  # published figures are by quarter or year
        try:
            exits = page.gateway.get("/indicators/exits/publication", period=period, columns="exit_reason")
        except GatewayError as exc:
            if exc.status != 422:
                raise  # 422: fewer than 5 exits in all, nothing publishable
    return page.render(
        "director/dashboard.html",
        status=status,
        period=period,
        before=before,
        figures=figures,
        rate=rate,
        breakdown=breakdown,
        exits=exits,
        submissions=list(reversed(submissions)),
        form=form or Form(),
        statuses=SUBMISSION_STATUSES,
    )


@view("/tableau-de-bord", "dashboard")
def dashboard(page):
    return _dashboard(page, _period(page))


@view("/tableau-de-bord/soumettre", "submit_period", methods=("POST",))
def submit_period(page):
    period = _period(page)
    body = {"period": period}
    if page.request.form.get("reason", "").strip():
        body["reason"] = page.request.form["reason"].strip()
    return _post(
        page,
        period,
        lambda: page.gateway.post("/submissions", body),
        page.gettext("Période %(p)s soumise : une autre personne de la direction doit l'approuver.") % {"p": period},
    )


@view("/tableau-de-bord/approuver", "approve_period", methods=("POST",))
def approve_period(page):
    period = _period(page)
    version = page.request.form.get("version", "")
    body = {"version": int(version) if version.isdigit() else version}
    return _post(
        page,
        period,
        lambda: page.gateway.post(f"/submissions/{period}/approval", body),
        page.gettext("Période %(p)s approuvée.") % {"p": period},
    )


def _post(page, period: str, action, message: str):
    from web.sessions import claim_once, settle_once

    key = page.request.form.get("once", "")
    back = page.url("dashboard") + f"?periode={period}"
    earlier = claim_once(page.session, key)
    if earlier is not None:
        return page.redirect(earlier or back)
    try:
        action()
    except GatewayError as exc:
        settle_once(page.session, key, None)
        if exc.status not in (409, 422):
            raise
        errors = exc.errors or {"submission": [exc.detail]}
        return _dashboard(page, period, Form(page.request.form, errors), status=exc.status)
    page.flash(message)
    settle_once(page.session, key, back)
    return page.redirect(back)
