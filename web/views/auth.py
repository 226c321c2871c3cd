"""Signing in and out, the language, and the home page that sends each role to its own first page."""

from __future__ import annotations

import time

from werkzeug.exceptions import NotFound

from gateway.auth import mint
from web.app import view
from web.gateway import GatewayError
from web.i18n import LANGUAGES, N_
from web.oidc import OidcClient

# Demo users of every Mission in development mode: (login, display name, roles).
DEMO_USERS = (
    ("anne", "Anne Dubois", ("counsellor",), N_("Conseillère")),
    ("samir", "Samir Haddad", ("social_worker",), N_("Travailleur social")),
    ("paula", "Paula Renard", ("project_lead",), N_("Cheffe de projet")),
    ("eric", "Éric Lambert", ("employer_relations",), N_("Chargé de relations entreprises")),
    ("dora", "Dora Lemaire", ("director",), N_("Directrice")),
    ("daniel", "Daniel Collignon", ("director",), N_("Directeur (seconde signature)")),
    ("diane", "Diane Wéry", ("dpo",), N_("Déléguée à la protection des données")),
)
# A local partner's demo user (development mode): the organisation it acts for is given at sign-in, an id of
# the Mission's partner directory (its token's ``organisation`` claim, gateway.auth), typed or picked from the
# Mission's organisations the page lists (``demo_organisations``).
PARTNER_USERS = (("paul", "Paul Martin", ("partner",), N_("Partenaire (CPAS, ALE, opérateur…)")),)
# InterMire's demo analyst (development mode): sector figures only, no Mission.
SECTOR_USERS = (("ines", "Inès Marchal", ("intermire_analyst",), N_("Analyste InterMire")),)
INTERMIRE = ("intermire", "InterMire")
TOKEN_TTL = 8 * 3600


def _safe_next(value: str | None) -> str:
    # Only a path of this site: an absolute or scheme-relative address would be an open redirect.
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def sign_in_user(page, user: dict, back: str):
    fresh = page.app.sessions.rotate(page.session)
    fresh.user = user
    page.session = fresh
    return page.redirect(_safe_next(back))


def demo_organisations(page) -> dict[str, list[tuple[str, str]]]:
    """Each Mission's partner organisations (id, name), read as its demo director would, for the partner's
    sign-in (development mode only). A Mission whose directory does not answer lists none: the id is typed."""

    def listed(code: str) -> list[tuple[str, str]]:
        token = mint(f"dora@{code}", code, ["director"], ttl=60)
        try:
            found = page.app.gateway.call("GET", f"/missions/{code}/partners", token, params={"page_size": 100})
        except GatewayError:
            return []
        return [(p["id"], p["name"]) for p in found["items"]]

    codes = [code for code, _ in page.app.missions]
    return dict(zip(codes, page.app.pool.map(listed, codes), strict=True))


@view("/connexion", "sign_in", methods=("GET",), public=True)
def sign_in(page):
    back = _safe_next(page.request.args.get("next"))
    if page.app.development:
        return page.render(
            "auth/sign_in.html",
            missions=page.app.missions,
            users=DEMO_USERS,
            partner_users=PARTNER_USERS,
            organisations=demo_organisations(page),
            sector_users=SECTOR_USERS,
            back=back,
        )
    client = OidcClient(page.app.oidc, page.app.oidc_http)
    page.session.pending = {"next": back}
    return page.redirect(client.authorization_url(page.session.pending))


@view("/connexion/demo", "sign_in_demo", methods=("POST",), public=True)
def sign_in_demo(page):
    # The development page exists only in development mode: elsewhere this address does not exist.
    if not page.app.development:
        raise NotFound()
    code, login = page.request.form.get("mission", ""), page.request.form.get("login", "")
    missions = dict(page.app.missions)
    users = DEMO_USERS
    if code == INTERMIRE[0]:
        missions, users = dict([INTERMIRE]), SECTOR_USERS
    found = next((u for u in users if u[0] == login), None)
    organisation = None
    if found is None and code != INTERMIRE[0]:
        found = next((u for u in PARTNER_USERS if u[0] == login), None)
        organisation = page.request.form.get("organisation", "").strip()[:64] or None
        if found is not None and organisation is None:
            return page.render(
                "error.html",
                status=400,
                title=page.gettext("Connexion refusée"),
                message=page.gettext("Un partenaire se connecte pour son organisation : indiquez son identifiant."),
            )
    if code not in missions or found is None:
        raise NotFound()
    sub = f"{login}@{code}"
    token = mint(sub, code, list(found[2]), ttl=TOKEN_TTL, organisation=organisation)
    user = {
        "sub": sub,
        "name": found[1],
        "mission": code,
        "mission_name": missions[code],
        "roles": list(found[2]),
        "organisation": organisation,
        "token": token,
        "token_expires_at": int(time.time()) + TOKEN_TTL,
    }
    return sign_in_user(page, user, page.request.form.get("next"))


@view("/connexion/retour", "sign_in_return", public=True)
def sign_in_return(page):
    if page.app.development:
        raise NotFound()
    pending = page.session.pending or {}
    try:
        user = OidcClient(page.app.oidc, page.app.oidc_http).finish(
            pending, page.request.args.get("state"), page.request.args.get("code")
        )
    except (ValueError, KeyError):
        return page.render(
            "error.html",
            status=400,
            title=page.gettext("Connexion refusée"),
            message=page.gettext("La connexion n'a pas abouti. Recommencez."),
        )
    return sign_in_user(page, user, pending.get("next"))


@view("/deconnexion", "sign_out", methods=("POST",), public=True)
def sign_out(page):
    page.app.sessions.end(page.session)
    page.session = page.app.sessions.new(page.session.lang)
    page.flash(page.gettext("Vous êtes déconnecté·e."))
    return page.redirect(page.url("sign_in"))


@view("/langue", "language", methods=("POST",), public=True)
def language(page):
    lang = page.request.form.get("lang")
    if lang in LANGUAGES:
        page.session.lang = lang
    return page.redirect(_safe_next(page.request.form.get("next")))


@view("/", "home")
def home(page):
    roles = set(page.roles)
    if roles & {"counsellor", "social_worker", "project_lead"}:
        return page.redirect(page.url("caseload"))
    if "employer_relations" in roles:
        return page.redirect(page.url("employers"))
    if "director" in roles:
        return page.redirect(page.url("dashboard"))
    if "intermire_analyst" in roles:
        return page.redirect(page.url("sector_dashboard"))
    if "dpo" in roles:
        return page.redirect(page.url("audit"))
    if "partner" in roles:
        return page.redirect(page.url("my_referrals"))
    return page.render(
        "error.html",
        status=403,
        title=page.gettext("Accès refusé"),
        message=page.gettext("Votre rôle n'a pas de page dans cette application."),
    )
