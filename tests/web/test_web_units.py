"""The front office without a platform: catalogues, Belgian formats, sessions and form keys, sign-in modes,
cookies and CSRF, and the OpenID Connect code flow's request (PKCE) against a fake identity provider."""

import base64
import hashlib
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from werkzeug.test import Client

from kit.config import ConfigError
from web import i18n
from web.app import create_app
from web.oidc import pkce_pair
from web.sessions import MemoryStore, SqliteStore, claim_once, settle_once

WEB = Path(__file__).resolve().parents[2] / "web"
DEV = {"PASSERELLE_ENV": "development"}
OIDC = {
    "PASSERELLE_WEB_OIDC_ISSUER": "https://id.example.test/realms/mire",
    "PASSERELLE_WEB_OIDC_CLIENT_ID": "front-office",
    "PASSERELLE_WEB_OIDC_REDIRECT_URI": "https://front.example.test/connexion/retour",
}
MISSIONS = [("mirec", "Mission Régionale pour l'Emploi de Charleroi"), ("mirena", "MIRENA")]


def catalogue(lang: str):
    with open(WEB / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def test_every_text_of_the_code_is_in_both_catalogues_and_english_is_complete():
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "N_": None}
    found = {
        m[2] if isinstance(m[2], str) else m[2][0]
        for m in extract_from_dir(str(WEB), method_map, options, keywords=keywords)
    }
    assert len(found) > 300
    for lang in ("fr", "en"):
        ids = {m.id for m in catalogue(lang) if m.id}
        assert found <= ids, f"{lang} lacks {sorted(found - ids)[:10]} (pybabel update, web/README.md)"
    untranslated = [m.id for m in catalogue("en") if m.id and not m.string]
    assert untranslated == []
    english = i18n.load_translations("en")
    assert english.gettext("Mes bénéficiaires") == "My caseload"


def test_belgian_formats():
    assert i18n.format_day("2026-12-07") == "07/12/2026"
    assert i18n.format_day("2026-12-07T09:30:00+00:00") == "07/12/2026"
    assert i18n.format_number(5879).replace("\u202f", " ").replace("\xa0", " ") == "5 879"
    assert i18n.format_ratio(0.724).replace("\u202f", " ").replace("\xa0", " ") == "72,4 %"
    assert i18n.format_number(5879, "en") == "5,879"
    assert i18n.format_day(None) == ""


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_sessions_expire_when_idle_and_form_keys_land_once(kind, tmp_path):
    now = [1000.0]
    clock = lambda: now[0]  # noqa: E731
    store = MemoryStore(ttl=600, clock=clock) if kind == "memory" else SqliteStore(tmp_path / "s.db", 600, clock)
    session = store.new()
    now[0] += 599
    again = store.get(session.id)
    assert again is not None and again.csrf == session.csrf
    store.save(again)  # a request extends the idle time
    now[0] += 599
    assert store.get(session.id) is not None
    now[0] += 601
    assert store.get(session.id) is None
    fresh = store.new()
    assert claim_once(fresh, "k1") is None
    assert claim_once(fresh, "k1", wait=0) == ""  # the first post still running (and no time to wait for it)
    settle_once(fresh, "k1", "/beneficiaires/x")
    assert claim_once(store.get(fresh.id), "k1") == "/beneficiaires/x"  # seen by the next request too
    assert claim_once(fresh, "k2") is None
    settle_once(fresh, "k2", None)  # refused: the same form may be sent again, corrected
    assert claim_once(fresh, "k2") is None
    fresh.user, fresh.flashes = {"sub": "anne", "token": "t"}, ["bonjour"]
    store.save(fresh)
    read = store.get(fresh.id)
    assert read.user == {"sub": "anne", "token": "t"} and read.take_flashes() == ["bonjour"]
    store.end(read)
    assert store.get(fresh.id) is None and claim_once(store.new(), "k1") is None


def test_the_sqlite_store_keeps_no_session_id_and_only_its_owner_reads_it(tmp_path):
    store = SqliteStore(tmp_path / "web" / "sessions.sqlite3")
    session = store.new()
    session.user = {"sub": "anne"}
    store.save(session)
    assert (tmp_path / "web" / "sessions.sqlite3").stat().st_mode & 0o077 == 0
    store.close()
    assert session.id.encode() not in (tmp_path / "web" / "sessions.sqlite3").read_bytes()
    assert SqliteStore(tmp_path / "web" / "sessions.sqlite3").get(session.id).user == {"sub": "anne"}


def test_pkce_challenge_is_the_s256_of_the_verifier():
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == digest


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_development_sign_in_cookies_csrf_and_return_address():
    app = create_app("http://127.0.0.1:9", MISSIONS, environ=DEV)
    client = Client(app)
    first = client.get("/beneficiaires/abc")
    assert first.status_code == 303 and first.headers["Location"] == "/connexion?next=%2Fbeneficiaires%2Fabc"
    page = client.get("/connexion?next=/beneficiaires/abc")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="fr"' in html and "MIRENA" in html and "Aller au contenu" in html
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    refused = client.post("/connexion/demo", data={"mission": "mirec", "login": "anne", "next": "/"})
    assert refused.status_code == 400  # no CSRF token
    outside = client.post(
        "/connexion/demo",
        data={"csrf": csrf_of(html), "mission": "mirec", "login": "anne", "next": "//elsewhere.example"},
    )
    assert outside.headers["Location"] == "/"  # never an open redirect
    client.post("/deconnexion", data={"csrf": csrf_of(client.get("/connexion").get_data(as_text=True))})
    html = client.get("/connexion").get_data(as_text=True)
    back = client.post(
        "/connexion/demo",
        data={"csrf": csrf_of(html), "mission": "mirec", "login": "anne", "next": "/beneficiaires/abc"},
    )
    assert back.headers["Location"] == "/beneficiaires/abc"
    assert 'id="messages" role="status" aria-live="polite"' in client.get("/connexion").get_data(as_text=True)
    html = client.get("/connexion").get_data(as_text=True)
    assert client.post("/langue", data={"csrf": csrf_of(html), "lang": "en", "next": "/connexion"}).status_code == 303
    english = client.get("/connexion").get_data(as_text=True)
    assert 'lang="en"' in english and "Skip to content" in english and "Sign in (demonstration)" in english


def test_outside_development_the_identity_provider_is_required():
    with pytest.raises(ConfigError, match="PASSERELLE_WEB_OIDC_ISSUER"):
        create_app("http://127.0.0.1:9", MISSIONS, environ={})
    with pytest.raises(ConfigError, match="REDIRECT_URI must be https"):
        create_app(
            "http://127.0.0.1:9",
            MISSIONS,
            environ=dict(OIDC, PASSERELLE_WEB_OIDC_REDIRECT_URI="http://front.example.test/connexion/retour"),
        )


class FakeProvider:
    """The identity provider's discovery document, as an HTTP session would answer it."""

    def get(self, url, timeout=None):
        assert url == OIDC["PASSERELLE_WEB_OIDC_ISSUER"] + "/.well-known/openid-configuration"
        return self

    def raise_for_status(self):
        return None

    def json(self):
        base = OIDC["PASSERELLE_WEB_OIDC_ISSUER"] + "/protocol/openid-connect"
        return {"authorization_endpoint": base + "/auth", "token_endpoint": base + "/token"}


def test_outside_development_no_demo_page_and_sign_in_goes_to_the_provider_with_pkce():
    app = create_app("http://127.0.0.1:9", MISSIONS, environ=OIDC)
    app.oidc_http = FakeProvider()
    client = Client(app)
    start = client.get("/connexion?next=/offres")
    assert start.status_code == 303
    target = urlparse(start.headers["Location"])
    query = parse_qs(target.query)
    assert target.netloc == "id.example.test" and target.path.endswith("/auth")
    assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == ["front-office"] and query["state"][0] and query["code_challenge"][0]
    cookie = start.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.post("/connexion/demo", data={"mission": "mirec", "login": "anne"}).status_code in (400, 404)
    forged = client.get("/connexion/retour?state=not-the-one&code=abc")
    assert forged.status_code == 400  # a state that does not match the request is refused


def test_a_page_gathers_independent_gateway_calls_together_and_raises_the_first_error():
    import threading

    from werkzeug.test import EnvironBuilder

    from web.app import Page
    from web.gateway import GatewayError

    app = create_app("http://127.0.0.1:9", MISSIONS, environ=DEV)
    page = Page(app, EnvironBuilder(path="/").get_request(), app.sessions.new(), None)
    both_running = threading.Barrier(2, timeout=5)  # each call waits for the other: only concurrent calls end

    def call(value):
        def run():
            both_running.wait()
            return value

        return run

    assert page.gather({"a": call(1), "b": call(2)}) == {"a": 1, "b": 2}
    assert page.gather({}) == {} and page.gather({"only": lambda: 3}) == {"only": 3}

    def refused():
        raise GatewayError(403, {"title": "Forbidden"})

    def missing():
        raise GatewayError(404, {"title": "Not Found"})

    with pytest.raises(GatewayError) as raised:
        page.gather({"fine": lambda: 1, "refused": refused, "missing": missing})
    assert raised.value.status == 403  # the first in the order given


def test_a_session_store_that_does_not_answer_is_a_503_page_not_a_crash():
    env = dict(DEV, PASSERELLE_WEB_SESSION_URL="redis://127.0.0.1:1/0")  # nothing listens there
    client = Client(create_app("http://127.0.0.1:9", MISSIONS, environ=env))
    reply = client.get("/connexion")
    assert reply.status_code == 503 and "passerelle_session" not in reply.headers.get("Set-Cookie", "")
    assert "Le service ne répond pas" in reply.get_data(as_text=True)


def test_the_session_store_is_chosen_by_its_url(tmp_path):
    from web.sessions import MemoryStore, RedisStore, open_store

    assert isinstance(open_store({}, tmp_path, 60), SqliteStore)
    assert (tmp_path / "web" / "sessions.sqlite3").exists()
    assert isinstance(open_store({}, None, 60), MemoryStore)
    assert isinstance(open_store({"PASSERELLE_WEB_SESSION_URL": "redis://127.0.0.1:1/0"}, tmp_path, 60), RedisStore)
    assert isinstance(open_store({"PASSERELLE_WEB_SESSION_URL": f"sqlite:///{tmp_path}/x.db"}, None, 60), SqliteStore)
    with pytest.raises(ConfigError, match="PASSERELLE_WEB_SESSION_URL"):
        open_store({"PASSERELLE_WEB_SESSION_URL": "postgresql://x"}, tmp_path, 60)


def test_a_second_post_waits_for_the_first_and_goes_where_it_went():
    """A double click: the second post arrives while the first runs. It waits for the first (another request
    thread settles it) and answers the first's destination, not the empty form; if the first failed, the
    second holds the key and is the one to go on."""
    import threading

    store = MemoryStore()
    session = store.new()
    assert claim_once(session, "note") is None
    threading.Timer(0.3, settle_once, (session, "note", "/beneficiaires/b1#notes")).start()
    assert claim_once(store.get(session.id), "note", wait=10) == "/beneficiaires/b1#notes"

    assert claim_once(session, "refused") is None
    threading.Timer(0.3, settle_once, (session, "refused", None)).start()
    assert claim_once(store.get(session.id), "refused", wait=10) is None  # the first failed: this one goes on
    assert claim_once(session, "refused", wait=0) == ""  # and it now holds the key
