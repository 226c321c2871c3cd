"""Front-office sessions outlive the web process and are shared by every process (``web/sessions.py``).

Real ``python -m web`` processes, in development mode, against the real stores: the SQLite file under the
data dir (the embedded default, no setting) and Redis (``PASSERELLE_WEB_SESSION_URL`` on the local Redis,
database 15, a key prefix of this test's own, removed at the end; ``PASSERELLE_TEST_REDIS`` moves it: a
missing Redis is a failure, not a skip). The pages used need no gateway: the empty search form shows the
signed-in user's name, and without a session it sends to the sign-in page; the gateway given is a port
nothing listens on.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest
import redis
import requests

from tests.harness import ROOT, free_port, terminate, wait_until
from web.sessions import RedisStore, _key, claim_once, settle_once

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("PASSERELLE_TEST_REDIS", "redis://127.0.0.1:6379/15")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    """The settings of one store; every web process of the test uses the same."""
    if request.param == "sqlite":
        yield {"PASSERELLE_DATA_DIR": str(tmp_path / "data")}
        return
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    prefix = f"test-{uuid.uuid4().hex[:8]}:web:session:"
    yield {
        "PASSERELLE_DATA_DIR": str(tmp_path / "data"),
        "PASSERELLE_WEB_SESSION_URL": REDIS_URL,
        "PASSERELLE_WEB_SESSION_PREFIX": prefix,
    }
    assert list(client.scan_iter(match=prefix + "*")), "the sessions were in Redis"
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


class Web:
    def __init__(self, tmp_path, name: str, settings: dict, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, PASSERELLE_ENV="development", **settings)
        env.pop("PASSERELLE_REGISTRY", None)
        self.log_path = tmp_path / f"{name}.log"
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "web", "--gateway", "http://127.0.0.1:1", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=ROOT,
            )
        wait_until(self._answers, 60, what=f"front office {name}")

    def _answers(self) -> bool:
        assert self.proc.poll() is None, self.log_path.read_text()
        try:
            return requests.get(self.url + "/connexion", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def stop(self):
        terminate(self.proc)


def sign_in(http: requests.Session, web: Web) -> None:
    csrf = CSRF.search(http.get(web.url + "/connexion").text).group(1)
    done = http.post(
        web.url + "/connexion/demo",
        data={"csrf": csrf, "mission": "mirec", "login": "anne", "next": "/recherche"},
        allow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["Location"] == "/recherche"


def signed_in(http: requests.Session, web: Web) -> bool:
    page = http.get(web.url + "/recherche", allow_redirects=False)
    if page.status_code == 303:
        assert page.headers["Location"].startswith("/connexion?next=")
        return False
    assert page.status_code == 200
    return "Se déconnecter" in page.text


def cookie_of(http: requests.Session, web: Web) -> str:
    return http.cookies.get("passerelle_session", domain="127.0.0.1") or http.cookies["passerelle_session"]


def test_a_session_survives_a_restart_of_the_web_process(store, tmp_path):
    web = Web(tmp_path, "first", store)
    http = requests.Session()
    try:
        sign_in(http, web)
        assert signed_in(http, web)
        before = cookie_of(http, web)
        csrf = CSRF.search(http.get(web.url + "/recherche").text).group(1)
    finally:
        web.stop()
    web = Web(tmp_path, "again", store, port=web.port)  # the same address, a new process
    try:
        assert signed_in(http, web)
        assert cookie_of(http, web) == before
        # The CSRF token of a page served by the old process is still this session's: a form posted after
        # the restart goes through (here, the language), and the change is kept.
        moved = http.post(web.url + "/langue", data={"csrf": csrf, "lang": "en", "next": "/recherche"})
        assert moved.status_code == 200 and 'lang="en"' in moved.text
    finally:
        web.stop()


def test_two_web_processes_share_sessions_and_sign_out(store, tmp_path):
    one, two = Web(tmp_path, "one", store), Web(tmp_path, "two", store)
    try:
        http = requests.Session()
        assert not signed_in(http, two)
        sign_in(http, one)
        assert signed_in(http, two)  # signed in on one, known on the other
        csrf = CSRF.search(http.get(two.url + "/recherche").text).group(1)
        old = cookie_of(http, one)
        out = http.post(one.url + "/deconnexion", data={"csrf": csrf}, allow_redirects=False)
        assert out.status_code == 303
        assert not signed_in(http, two)
        stale = requests.Session()
        stale.cookies.set("passerelle_session", old)
        assert not signed_in(stale, two)  # the old cookie is worth nothing anywhere after sign-out
        # a second person on the other process is a session of its own
        other = requests.Session()
        sign_in(other, two)
        assert signed_in(other, one) and cookie_of(other, one) != cookie_of(http, one)
    finally:
        one.stop()
        two.stop()


def test_a_form_key_is_claimed_once_across_replicas_in_redis():
    """Two stores (two replicas) on one Redis: a double post that lands on both reaches the gateway once."""
    prefix = f"test-{uuid.uuid4().hex[:8]}:web:session:"
    one, two = RedisStore(REDIS_URL, prefix=prefix), RedisStore(REDIS_URL, prefix=prefix)
    try:
        session = one.new()
        seen_by_two = two.get(session.id)
        assert seen_by_two is not None and seen_by_two.csrf == session.csrf
        assert claim_once(session, "form-1") is None
        assert claim_once(seen_by_two, "form-1", wait=0) == ""  # in flight on the other replica
        settle_once(session, "form-1", "/beneficiaires/b1")
        assert claim_once(seen_by_two, "form-1") == "/beneficiaires/b1"
        one.end(session)
        assert two.get(session.id) is None
        assert 0 < one.redis.ttl(one._once(_key(session.id), "form-1")) <= one.ttl
    finally:
        for key in one.redis.scan_iter(match=prefix + "*"):
            one.redis.delete(key)
        one.close()
        two.close()
