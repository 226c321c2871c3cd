"""The web application: request handling, sessions and CSRF, rendering, and the gateway bound to the user.

``create_app(gateway_url, missions, ...)`` returns a WSGI application. Every
page is a view in ``web.views``; a view receives a ``Page`` (the request, the
session, the user's gateway) and returns a response. For an htmx request a
view may render only a fragment (``page.htmx``). What happens around a view:

- no signed-in user on a page that needs one: redirect to the sign-in page,
  which comes back to the same address afterwards (an expired session too);
- a POST without the session's CSRF token: 400, nothing sent to the gateway;
- a gateway answer of 401 (the token expired): the session ends and the user
  signs in again, coming back to the page; 404 and 403 render their own pages.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from kit.mode import is_development
from kit.reference import municipality
from web import i18n, labels
from web.gateway import GatewayClient, GatewayError, UserGateway
from web.permissions import may
from web.sessions import Session, StoreUnavailable, claim_once, open_store, settle_once

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
COOKIE = "passerelle_session"
GATHER_THREADS = 32
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}


@dataclass
class View:
    path: str
    endpoint: str
    fn: object
    methods: tuple[str, ...]
    public: bool


VIEWS: list[View] = []


def view(path: str, endpoint: str, methods=("GET",), public: bool = False):
    """Declare a page: ``fn(page, **path_values) -> Response``."""

    def register(fn):
        VIEWS.append(View(path, endpoint, fn, tuple(methods), public))
        return fn

    return register


class Form:
    """What a form sent, kept to show again, and the errors for each field (dotted names)."""

    def __init__(self, values=None, errors: dict | None = None):
        self.values = values if values is not None else {}
        self.errors: dict[str, list[str]] = errors or {}

    def get(self, name: str, default=""):
        value = self.values.get(name) if hasattr(self.values, "get") else None
        return default if value is None else value

    def getlist(self, name: str) -> list:
        return self.values.getlist(name) if hasattr(self.values, "getlist") else list(self.values.get(name) or [])

    def error(self, name: str) -> list[str]:
        return self.errors.get(name, [])


class Page:
    """One request as a view sees it."""

    def __init__(self, app: WebApp, request: Request, session: Session, adapter):
        self.app, self.request, self.session, self.adapter = app, request, session, adapter
        self.request_id = secrets.token_hex(8)
        self.htmx = request.headers.get("HX-Request") == "true"

    @property
    def user(self) -> dict | None:
        return self.session.user

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self.user["roles"]) if self.user else ()

    def may(self, action: str) -> bool:
        return may(self.roles, action)

    @property
    def gateway(self) -> UserGateway:
        return UserGateway(self.app.gateway, self.user["token"], self.user["mission"], self.request_id)

    def gather(self, calls: dict) -> dict:
        """Run independent calls (``{name: fn}``, each a gateway read under its own policy action) at the same
        time; their answers by name. The first error, in the order given, is raised once all have ended."""
        if len(calls) <= 1 or self.app.gather_threads <= 1:
            return {name: fn() for name, fn in calls.items()}
        futures = {name: self.app.pool.submit(fn) for name, fn in calls.items()}
        wait(futures.values())
        for future in futures.values():
            if future.exception() is not None:
                raise future.exception()
        return {name: future.result() for name, future in futures.items()}

    def url(self, endpoint: str, **values) -> str:
        return self.adapter.build(endpoint, {k: v for k, v in values.items() if v is not None})

    def render(self, template: str, status: int = 200, **context) -> Response:
        env = self.app.environments[self.session.lang]
        context.setdefault("form", Form())
        html = env.get_template(template).render(
            page=self,
            user=self.user,
            lang=self.session.lang,
            L=labels,
            flashes=self.session.take_flashes() if not self.htmx else [],
            **context,
        )
        return Response(html, status=status, content_type="text/html; charset=utf-8")

    def redirect(self, location: str) -> Response:
        if self.htmx:  # htmx follows a redirect inside the swap; a whole-page change is asked with HX-Redirect
            return Response("", status=204, headers={"HX-Redirect": location})
        return redirect(location, code=303)

    def flash(self, message: str) -> None:
        self.session.flash(message)

    def gettext(self, message: str) -> str:
        return self.app.translations[self.session.lang].gettext(message)

    def submit(self, action, success, template: str, **context) -> Response:
        """Post a form once: ``action()`` calls the gateway and returns its answer; ``success(answer)`` returns
        where to go next. A second post of the same form key goes where the first went; a refusal renders
        ``template`` again with the typed values and the gateway's field errors."""
        key = self.request.form.get("once", "")
        earlier = claim_once(self.session, key)
        if earlier is not None:
            return self.redirect(earlier or self.request.path)
        try:
            answer = action()
        except GatewayError as exc:
            settle_once(self.session, key, None)
            if exc.status in (401, 403, 404):
                raise
            errors = exc.errors or {"_schema": [exc.detail]}
            return self.render(
                template,
                status=422 if exc.status == 422 else exc.status,
                form=Form(self.request.form, errors),
                **context,
            )
        location = success(answer)
        settle_once(self.session, key, location)
        return self.redirect(location)


class WebApp:
    def __init__(
        self,
        gateway_url: str,
        missions: list[tuple[str, str]] | None = None,
        environ=None,
        session_ttl: float | None = None,
        clock=time.time,
        data_dir: Path | str | None = None,
    ):
        env = os.environ if environ is None else environ
        self.development = is_development(env)
        self.gateway = GatewayClient(gateway_url)
        # Threads for a page's independent gateway calls (Page.gather); as many as the client's connection pool.
        # PASSERELLE_WEB_GATHER_THREADS=1 sends them one after the other (bench/web compares both).
        self.gather_threads = int(env.get("PASSERELLE_WEB_GATHER_THREADS", GATHER_THREADS))
        self.pool = ThreadPoolExecutor(max_workers=max(1, self.gather_threads), thread_name_prefix="gateway-call")
        self.missions = list(missions or [])
        ttl = session_ttl if session_ttl is not None else float(env.get("PASSERELLE_WEB_SESSION_TTL", 1800))
        self.sessions = open_store(env, data_dir, ttl, clock)
        from web import oidc  # the sign-in method: development page, or the identity provider

        self.oidc = None if self.development else oidc.OidcConfig.from_env(env)
        self.oidc_http = None  # the HTTP session towards the identity provider (tests put a fake one here)
        self.translations = {lang: i18n.load_translations(lang) for lang in i18n.LANGUAGES}
        self.environments = {lang: self._environment(lang) for lang in i18n.LANGUAGES}
        from web import views  # noqa: F401  (registers the pages)

        rules = [Rule("/static/<path:name>", endpoint="static")]
        rules += [Rule(v.path, endpoint=v.endpoint, methods=list(v.methods)) for v in VIEWS]
        self.url_map = Map(rules, strict_slashes=False)
        self.views = {v.endpoint: v for v in VIEWS}

    def _environment(self, lang: str) -> Environment:
        env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=self.development,  # no stat of every template at every page outside development
        )
        env.install_gettext_translations(self.translations[lang], newstyle=True)
        env.filters["day"] = i18n.format_day
        env.filters["moment"] = i18n.format_moment
        env.filters["number"] = lambda v: i18n.format_number(v, lang)
        env.filters["ratio"] = lambda v: i18n.format_ratio(v, lang)
        env.globals["fid"] = field_id
        env.globals["municipality_name"] = municipality_name
        env.globals["pairs"] = lambda items, key, text: [(item[key], item[text]) for item in items]
        env.globals["choices"] = lambda mapping: [(k, self.translations[lang].gettext(v)) for k, v in mapping.items()]
        env.globals["new_key"] = lambda: secrets.token_urlsafe(16)
        env.globals["label_of"] = lambda name: (
            self.translations[lang].gettext(labels.field_label(name)) if labels.field_label(name) else ""
        )
        env.globals["error_text"] = lambda m: self.translations[lang].gettext(labels.error_message(m))
        env.globals["label"] = _label_lookup(self.translations[lang].gettext)
        return env

    # -- WSGI ------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        response = self._handle(request)
        # The page's server time (gateway calls included), for the browser's devtools and bench/web.
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    def _handle(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except HTTPException as exc:
            return self._bare_error(request, adapter, exc.code or 404)
        if endpoint == "static":
            return self.static(values["name"])
        try:
            session = self.sessions.get(request.cookies.get(COOKIE))
            fresh = session is None
            if fresh:
                session = self.sessions.new(_language(request))
        except StoreUnavailable as exc:
            log.error("session store unreachable: %s", exc)
            return self._bare_error(request, adapter, 503)
        page = Page(self, request, session, adapter)
        v = self.views[endpoint]
        try:
            if not v.public and not session.user:
                response = self.to_sign_in(page)
            elif request.method == "POST" and not session.check_csrf(request.form.get("csrf")):
                # An expired session lost its token too: sign in again and come back to the form.
                response = (
                    self.to_sign_in(page, back=_referer_path(request))
                    if fresh
                    else page.render(
                        "error.html",
                        status=400,
                        title=page.gettext("Formulaire expiré"),
                        message=page.gettext("Ce formulaire a expiré. Rechargez la page et recommencez."),
                    )
                )
            else:
                response = v.fn(page, **values)
        except GatewayError as exc:
            response = self.gateway_error(page, exc)
        except NotFound:
            response = page.render(
                "error.html",
                status=404,
                title=page.gettext("Page introuvable"),
                message=page.gettext("Cette page n'existe pas, ou vous n'y avez pas accès."),
            )
        session = page.session  # sign-in and sign-out replace it
        try:
            self.sessions.save(session)
        except StoreUnavailable as exc:
            log.error("session store unreachable: %s", exc)
        if not session.ended:
            response.set_cookie(
                COOKIE, session.id, httponly=True, samesite="Lax", secure=not self.development, path="/"
            )
        else:
            response.delete_cookie(COOKIE, path="/")
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
        )
        return response

    def to_sign_in(self, page: Page, back: str | None = None) -> Response:
        here = back or page.request.full_path.rstrip("?")
        if page.request.method != "GET" and back is None:
            here = _referer_path(page.request) or "/"
        target = page.url("sign_in") + "?" + urlencode({"next": here})
        return page.redirect(target)

    def gateway_error(self, page: Page, exc: GatewayError) -> Response:
        if exc.status == 401:
            self.sessions.end(page.session)
            page.session = self.sessions.new(page.session.lang)
            page.flash(page.gettext("Votre session a expiré : connectez-vous à nouveau."))
            return self.to_sign_in(page)
        if exc.status == 404:
            return page.render(
                "error.html",
                status=404,
                title=page.gettext("Page introuvable"),
                message=page.gettext("Cette page n'existe pas, ou vous n'y avez pas accès."),
            )
        if exc.status == 403:
            return page.render(
                "error.html",
                status=403,
                title=page.gettext("Accès refusé"),
                message=page.gettext("Votre rôle ne permet pas cette action."),
            )
        log.warning("gateway answered %s: %s", exc.status, exc.detail)
        return page.render(
            "error.html",
            status=502 if exc.status >= 500 else exc.status,
            title=page.gettext("Le service ne répond pas"),
            message=page.gettext("La plateforme n'a pas pu répondre. Réessayez dans un instant."),
        )

    def _bare_error(self, request, adapter, status: int) -> Response:
        try:
            session = self.sessions.get(request.cookies.get(COOKIE)) if status != 503 else None
        except StoreUnavailable:
            session = None
        page = Page(self, request, session or Session("", "", 0, lang=_language(request)), adapter)
        if status == 503:
            return page.render(
                "error.html",
                status=503,
                title=page.gettext("Le service ne répond pas"),
                message=page.gettext("La plateforme n'a pas pu répondre. Réessayez dans un instant."),
            )
        return page.render(
            "error.html",
            status=status,
            title=page.gettext("Page introuvable"),
            message=page.gettext("Cette page n'existe pas, ou vous n'y avez pas accès."),
        )

    def static(self, name: str) -> Response:
        root = (HERE / "static").resolve()
        path = (root / name).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return Response("not found", status=404)
        response = Response(path.read_bytes(), content_type=STATIC_TYPES.get(path.suffix, "application/octet-stream"))
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response


def _label_lookup(gettext):
    """``label(L.STAGES, code)``: a code's translated label, each translated once per language. A table of a
    hundred rows asks for two hundred labels; the template's ``_()`` costs a Markup and a format each time."""
    known: dict[tuple[int, object], str] = {}

    def label(mapping: dict, code) -> str:
        if code is None:
            return ""
        key = (id(mapping), code)
        found = known.get(key)
        if found is None:
            text = mapping.get(code, code)
            found = known[key] = gettext(text) if isinstance(text, str) and text else str(text)
        return found

    return label


def municipality_name(code: str | None) -> str:
    found = municipality(code) if code else None
    return found["name"]["fr"] if found else (code or "")


def field_id(name: str) -> str:
    """The id of a form field, from its (dotted) name: what the error summary links to."""
    return "f-" + "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)


def _language(request: Request) -> str:
    # French first, whatever the browser prefers: the Missions work in French; English is chosen on the page.
    return "fr"


def _referer_path(request: Request) -> str | None:
    referer = request.headers.get("Referer", "")
    host = request.host_url
    if referer.startswith(host):
        return "/" + referer[len(host) :]
    return None


def create_app(
    gateway_url: str,
    missions: list[tuple[str, str]] | None = None,
    environ=None,
    session_ttl: float | None = None,
    clock=time.time,
    data_dir: Path | str | None = None,
) -> WebApp:
    """The front office's WSGI application, talking to the gateway at ``gateway_url``.

    ``missions`` lists ``(code, name)`` for the development sign-in page. Outside development mode the
    identity provider's settings are required (``web.oidc``), and a missing one stops the start. Sessions go to
    ``PASSERELLE_WEB_SESSION_URL`` (Redis), else to a SQLite file under ``data_dir``, else stay in memory
    (``web.sessions.open_store``).
    """
    return WebApp(gateway_url, missions, environ, session_ttl, clock, data_dir)


def quote_next(path: str) -> str:
    return quote(path, safe="/?=&")
