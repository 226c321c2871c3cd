"""Referrals in: « Mes orientations vers la Mission » for a local partner (refer a person, with their consent;
the referrals its organisation made and where each stands, in plain words) and « Demandes reçues » for the
counsellors and the direction (accept: the intake form pre-filled with what the partner gave; decline with a
reason the partner reads). Every read and write is a gateway call with the user's token
(``beneficiary.referrals`` holds the rules)."""

from __future__ import annotations

from web import labels
from web.app import Form, view
from web.gateway import GatewayError
from web.views.people import INTAKE_FIELDS, clean, digits, group_fields, municipalities

REFERRAL_FIELDS = ("niss", "first_name", "last_name", "birth_date", "municipality", "phone", "email", "reason")
# The intake's fields the counsellor completes on a referral: never the referrer, which is the partner.
ACCEPT_FIELDS = tuple(f for f in INTAKE_FIELDS if f not in ("referrer_type", "referrer_organisation"))


# -- the partner's page ----------------------------------------------------------
def _mine(page) -> dict:
    return dict(
        municipalities=municipalities(),
        referrals=page.gateway.get("/referrals", page_size=100, purpose="referral")["items"],
    )


@view("/orientations", "my_referrals", methods=("GET", "POST"))
def my_referrals(page):
    context = _mine(page)
    if page.request.method == "GET":
        return page.render("referrals/mine.html", **context)
    form = page.request.form
    body = clean({name: form.get(name, "").strip() for name in REFERRAL_FIELDS})
    if "niss" in body:
        body["niss"] = digits(body["niss"])
    body["target_groups"] = [g for g in labels.TARGET_GROUPS if form.get(f"tg-{g}")]
    body["consent"] = form.get("consent") == "yes"

    def done(_):
        page.flash(page.gettext("Orientation envoyée : la Mission vous répondra sur cette page."))
        return page.url("my_referrals")

    return page.submit(lambda: page.gateway.post("/referrals", body), done, "referrals/mine.html", **context)


# -- the counsellors' queue --------------------------------------------------------
MAX_NAMED = 20  # organisations named on one page (one directory read each)


def partner_names(page, referrals: list[dict]) -> dict[str, str]:
    """The directory's name of each referring organisation, where the user may read the directory; an
    organisation it cannot name (withdrawn since, or a role without the directory) shows by its type."""
    if not page.may("employer.partner.read"):
        return {}
    names: dict[str, str] = {}
    for organisation in list(dict.fromkeys(r["organisation"] for r in referrals))[:MAX_NAMED]:
        try:
            names[organisation] = page.gateway.get(f"/partners/{organisation}")["name"]
        except GatewayError as exc:
            if exc.status not in (403, 404):
                raise
    return names


def _received(page) -> dict:
    got = page.gather(
        {
            "pending": lambda: page.gateway.get("/referrals", page_size=100, purpose="referral"),
            "accepted": lambda: page.gateway.get("/referrals", status="accepted", page_size=25, purpose="referral"),
            "declined": lambda: page.gateway.get("/referrals", status="declined", page_size=25, purpose="referral"),
        }
    )
    pending, accepted, declined = got["pending"]["items"], got["accepted"]["items"], got["declined"]["items"]
    names = partner_names(page, pending + accepted + declined)
    return dict(pending=pending, accepted=accepted, declined=declined, names=names)


@view("/demandes-recues", "received_referrals")
def received_referrals(page):
    return page.render("referrals/received.html", **_received(page))


@view("/demandes-recues/<rid>/refuser", "decline_referral", methods=("POST",))
def decline_referral(page, rid):
    body = clean({"reason": page.request.form.get("reason", "").strip()})

    def done(_):
        page.flash(page.gettext("Orientation refusée : le partenaire lit la raison du refus."))
        return page.url("received_referrals")

    return page.submit(
        lambda: page.gateway.post(f"/referrals/{rid}/decline", body),
        done,
        "referrals/received.html",
        declining=rid,
        **_received(page),
    )


def _prefilled(page, referral: dict) -> Form:
    """The intake form as the referral fills it; the counsellor checks and completes it."""
    values = {name: referral.get(name) or "" for name in ("niss", "first_name", "last_name", "birth_date")}
    values.update(
        municipality=referral.get("municipality") or "",
        phone=referral.get("phone") or "",
        email=referral.get("email") or "",
        provisional="" if referral.get("niss") else "yes",
    )
    for group in referral.get("target_groups") or []:
        values[f"tg-{group}"] = "yes"
        values[f"tg-{group}-evidence"] = page.gettext("Indiqué par le partenaire qui oriente")
    return Form(values)


@view("/demandes-recues/<rid>/accepter", "accept_referral", methods=("GET", "POST"))
def accept_referral(page, rid):
    referral = page.gateway.get(f"/referrals/{rid}", purpose="referral")
    context = dict(
        municipalities=municipalities(),
        referral=referral,
        names=partner_names(page, [referral]),
        form_action=page.url("accept_referral", rid=rid),
        known={},
        lookalike={},
    )
    if page.request.method == "GET":
        return page.render("people/intake.html", form=_prefilled(page, referral), **context)
    form = page.request.form
    body = clean({name: form.get(name, "").strip() for name in ACCEPT_FIELDS})
    if form.get("provisional"):
        body["identity"] = "provisional"
        body["niss"] = None
        if form.get("confirmed_other_person"):
            body["confirmed_other_person"] = True
    elif "niss" in body:
        body["niss"] = digits(body["niss"])
    groups = [g for g in labels.TARGET_GROUPS if form.get(f"tg-{g}")]
    since = body.get("registered_on") or referral["submitted_at"][:10]
    body["target_groups"] = [
        clean({"group": g, "evidence": form.get(f"tg-{g}-evidence", "").strip(), "since": since}) for g in groups
    ]
    body["inform_referrer"] = form.get("inform_referrer") == "yes"

    def send():
        try:
            return page.gateway.post(f"/referrals/{rid}/accept", body)
        except GatewayError as exc:
            if exc.existing and not form.get("provisional"):
                context["known"].update(id=exc.existing, reopenable=bool(exc.problem.get("reopenable")))
            exc.rename_fields(group_fields(groups))
            raise

    def done(answer):
        page.flash(page.gettext("Orientation acceptée : le dossier est ouvert."))
        return page.url("person", id=answer["beneficiary_id"])

    return page.submit(send, done, "people/intake.html", **context)
