"""Server-side sessions: a random id in an HttpOnly cookie, everything else in a store every replica shares.

A session holds the signed-in user (subject, Mission, roles, bearer token and
its expiry), the CSRF token its forms carry, the language, one-shot messages,
and the form keys already used (``once``): a form posted twice with the same
key (a double click, a reload after the answer) is not sent to the gateway a
second time but redirected where the first one went. An idle session expires
after ``ttl`` seconds; so does one whose token expired.

Where sessions live (``open_store``):

* ``RedisStore`` when ``PASSERELLE_WEB_SESSION_URL`` is a ``redis://`` or ``rediss://`` URL (production:
  every front-office replica shares it, and a restart of one signs nobody out). Redis expires an idle
  session by itself (``EX``), with no sweeping.
* ``SqliteStore`` otherwise: one file, ``{data_dir}/web/sessions.sqlite3`` (mode 0600), the embedded default
  with no extra server. Several front-office processes on one host share it, and it survives their restart.
* ``MemoryStore``: unit tests.

The store is keyed by the SHA-256 of the session id, never the id itself: a copy of the store gives no cookie
that works. A form key is claimed atomically in the store (Redis ``SET NX``, SQLite ``INSERT OR IGNORE``), so
two posts of one form that reach two replicas at once still reach the gateway once. Everything else of a
session is written back after the request when it changed, and the sliding expiry is written at most once
a minute (``TOUCH``): a page view that changes nothing costs one read. Two requests of the same session at
the same moment: the last one's flashes and language win, which loses at most a one-shot message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ONCE_KEPT = 200  # form keys remembered per session (MemoryStore; the others forget them with the session's ttl)
TOUCH = 60.0  # seconds: how stale a stored expiry may be before a request writes it again
STATE = ("csrf", "expires_at", "user", "lang", "flashes", "pending")


class StoreUnavailable(Exception):
    """The session store does not answer: no page can know who is asking."""


@dataclass
class Session:
    id: str
    csrf: str
    expires_at: float
    user: dict | None = None  # sub, mission, roles, token, token_expires_at, name
    lang: str = "fr"
    flashes: list[str] = field(default_factory=list)
    once: dict[str, str] = field(default_factory=dict)  # without a store: form key -> where its first post went
    pending: dict = field(default_factory=dict)  # e.g. an OIDC flow's state, verifier and return path
    store: SessionStore | None = field(default=None, repr=False, compare=False)
    stored: str = field(default="", repr=False, compare=False)  # the state as last read or written
    ended: bool = field(default=False, repr=False, compare=False)

    def check_csrf(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token, self.csrf)

    def flash(self, message: str) -> None:
        self.flashes.append(message)

    def take_flashes(self) -> list[str]:
        taken, self.flashes = self.flashes, []
        return taken

    def state(self) -> str:
        return json.dumps({name: getattr(self, name) for name in STATE}, sort_keys=True, separators=(",", ":"))


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """What every store does; a backend reads, writes and deletes a session's state and claims form keys."""

    def __init__(self, ttl: float = 1800.0, clock=time.time):
        self.ttl, self.clock = ttl, clock

    # -- the backend's part ------------------------------------------------
    def _read(self, key: str) -> str | None:
        raise NotImplementedError

    def _write(self, key: str, state: str, expires_at: float) -> None:
        raise NotImplementedError

    def _delete(self, key: str) -> None:
        raise NotImplementedError

    def _claim(self, key: str, form_key: str, expires_at: float) -> str | None:
        """None when ``form_key`` was free (now claimed, in flight); else where its post went ("" in flight)."""
        raise NotImplementedError

    def _settle(self, key: str, form_key: str, location: str | None, expires_at: float) -> None:
        raise NotImplementedError

    # -- sessions ------------------------------------------------------------
    def new(self, lang: str = "fr") -> Session:
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.clock() + self.ttl, lang=lang)
        session.store = self
        self.save(session)
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        stored = self._read(_key(session_id))
        if stored is None:
            return None
        data = json.loads(stored)
        now = self.clock()
        if data["expires_at"] < now:
            self._delete(_key(session_id))
            return None
        session = Session(session_id, **data)
        session.store, session.stored = self, stored
        if session.expires_at - now < self.ttl - TOUCH:
            session.expires_at = now + self.ttl  # idle timeout: requests extend it (written by save)
        return session

    def save(self, session: Session) -> None:
        """Write the session back if it changed (its sliding expiry included)."""
        if session.ended:
            return
        state = session.state()
        if state != session.stored:
            self._write(_key(session.id), state, session.expires_at)
            session.stored = state

    def rotate(self, session: Session) -> Session:
        """A new id (and CSRF token) for the same session: done at sign-in against session fixation."""
        fresh = self.new(session.lang)
        fresh.pending = {}
        self.end(session)
        return fresh

    def end(self, session: Session) -> None:
        session.ended = True
        self.drop(session.id)

    def drop(self, session_id: str) -> None:
        if session_id:
            self._delete(_key(session_id))

    def expire_now(self, session_id: str) -> None:
        """Tests and sign-out: the session is gone as if its time had run out."""
        self.drop(session_id)

    def claim(self, session: Session, form_key: str) -> str | None:
        return self._claim(_key(session.id), form_key, self.clock() + self.ttl)

    def settle(self, session: Session, form_key: str, location: str | None) -> None:
        self._settle(_key(session.id), form_key, location, self.clock() + self.ttl)

    def close(self) -> None:
        pass


class MemoryStore(SessionStore):
    """In this process only: unit tests."""

    def __init__(self, ttl: float = 1800.0, clock=time.time):
        super().__init__(ttl, clock)
        self._states: dict[str, tuple[str, float]] = {}
        self._once: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def _read(self, key):
        found = self._states.get(key)
        return found[0] if found else None

    def _write(self, key, state, expires_at):
        with self._lock:
            now = self.clock()
            for old in [k for k, (_, at) in self._states.items() if at < now]:
                self._states.pop(old, None)
                self._once.pop(old, None)
            self._states[key] = (state, expires_at)

    def _delete(self, key):
        with self._lock:
            self._states.pop(key, None)
            self._once.pop(key, None)

    def _claim(self, key, form_key, expires_at):
        with self._lock:
            once = self._once.setdefault(key, {})
            if form_key in once:
                return once[form_key]
            if len(once) >= ONCE_KEPT:
                once.pop(next(iter(once)))
            once[form_key] = ""
            return None

    def _settle(self, key, form_key, location, expires_at):
        with self._lock:
            once = self._once.setdefault(key, {})
            if location is None:
                once.pop(form_key, None)
            else:
                once[form_key] = location


class SqliteStore(SessionStore):
    """One SQLite file (WAL) that every front-office process of this host shares; it survives their restarts."""

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS web_session (key TEXT PRIMARY KEY, state TEXT NOT NULL, expires_at REAL NOT NULL)",
        "CREATE INDEX IF NOT EXISTS web_session_expiry ON web_session (expires_at)",
        "CREATE TABLE IF NOT EXISTS web_form_key (session TEXT NOT NULL, form_key TEXT NOT NULL, "
        "location TEXT NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (session, form_key))",
        "CREATE INDEX IF NOT EXISTS web_form_key_expiry ON web_form_key (expires_at)",
    )
    SWEEP_EVERY = 200  # writes between two deletions of what has expired

    def __init__(self, path: Path | str, ttl: float = 1800.0, clock=time.time):
        super().__init__(ttl, clock)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            self.path.touch(mode=0o600)  # bearer tokens live here: the owner alone reads it
        self._local = threading.local()
        self._writes = 0
        with self._db() as db:
            for statement in self.SCHEMA:
                db.execute(statement)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def _read(self, key):
        row = self._db().execute("SELECT state FROM web_session WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _write(self, key, state, expires_at):
        db = self._db()
        db.execute(
            "INSERT INTO web_session (key, state, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at",
            (key, state, expires_at),
        )
        self._writes += 1
        if self._writes % self.SWEEP_EVERY == 1:
            now = self.clock()
            db.execute("DELETE FROM web_session WHERE expires_at < ?", (now,))
            db.execute("DELETE FROM web_form_key WHERE expires_at < ?", (now,))

    def _delete(self, key):
        db = self._db()
        db.execute("DELETE FROM web_session WHERE key = ?", (key,))
        db.execute("DELETE FROM web_form_key WHERE session = ?", (key,))

    def _claim(self, key, form_key, expires_at):
        db = self._db()
        inserted = db.execute(
            "INSERT OR IGNORE INTO web_form_key (session, form_key, location, expires_at) VALUES (?, ?, '', ?)",
            (key, form_key, expires_at),
        ).rowcount
        if inserted:
            return None
        row = db.execute(
            "SELECT location FROM web_form_key WHERE session = ? AND form_key = ?", (key, form_key)
        ).fetchone()
        return row[0] if row else ""

    def _settle(self, key, form_key, location, expires_at):
        db = self._db()
        if location is None:
            db.execute("DELETE FROM web_form_key WHERE session = ? AND form_key = ?", (key, form_key))
        else:
            db.execute(
                "UPDATE web_form_key SET location = ?, expires_at = ? WHERE session = ? AND form_key = ?",
                (location, expires_at, key, form_key),
            )

    def close(self):
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


class RedisStore(SessionStore):
    """Redis, shared by every front-office replica: ``{prefix}{key}`` holds the state with Redis's own expiry,
    ``{prefix}{key}:once:{form key hash}`` each form key claimed."""

    TIMEOUT = 1.0  # seconds per call: a store that does not answer is a page that cannot know who asks

    def __init__(
        self,
        url: str,
        ttl: float = 1800.0,
        clock=time.time,
        prefix: str = "passerelle:web:session:",
        password: str | None = None,
    ):
        super().__init__(ttl, clock)
        import redis

        self.prefix = prefix
        self._errors = (redis.RedisError, OSError)
        extra = {"password": password} if password else {}
        self.redis = redis.Redis.from_url(
            url, socket_timeout=self.TIMEOUT, socket_connect_timeout=self.TIMEOUT, decode_responses=True, **extra
        )

    def _seconds(self, expires_at: float) -> int:
        return max(1, math.ceil(expires_at - self.clock()))

    def _once(self, key: str, form_key: str) -> str:
        return f"{self.prefix}{key}:once:{hashlib.sha256(form_key.encode()).hexdigest()[:32]}"

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except self._errors as exc:
            raise StoreUnavailable(str(exc)) from None

    def _read(self, key):
        return self._call(self.redis.get, self.prefix + key)

    def _write(self, key, state, expires_at):
        self._call(self.redis.set, self.prefix + key, state, ex=self._seconds(expires_at))

    def _delete(self, key):
        # The form keys expire with their own ttl; a session's id is never used again, so they are unreachable.
        self._call(self.redis.delete, self.prefix + key)

    def _claim(self, key, form_key, expires_at):
        name = self._once(key, form_key)
        if self._call(self.redis.set, name, "", nx=True, ex=self._seconds(expires_at)):
            return None
        found = self._call(self.redis.get, name)
        return found if found is not None else ""

    def _settle(self, key, form_key, location, expires_at):
        name = self._once(key, form_key)
        if location is None:
            self._call(self.redis.delete, name)
        else:
            self._call(self.redis.set, name, location, xx=True, ex=self._seconds(expires_at))

    def close(self):
        self.redis.close()


def open_store(env, data_dir: Path | str | None, ttl: float, clock=time.time) -> SessionStore:
    """The store this process uses: Redis when ``PASSERELLE_WEB_SESSION_URL`` names one, else the SQLite file
    under ``data_dir`` (``PASSERELLE_WEB_SESSION_URL=sqlite:///path`` names another file), else memory."""
    url = (env.get("PASSERELLE_WEB_SESSION_URL") or "").strip()
    if url.startswith(("redis://", "rediss://", "unix://")):
        prefix = env.get("PASSERELLE_WEB_SESSION_PREFIX") or "passerelle:web:session:"
        # The password apart from the URL when it comes from a secret file of its own (docker-compose.yml).
        return RedisStore(url, ttl, clock, prefix=prefix, password=env.get("PASSERELLE_WEB_SESSION_PASSWORD"))
    if url.startswith("sqlite:///"):
        return SqliteStore(url[len("sqlite:///") :], ttl, clock)
    if url == "memory":
        return MemoryStore(ttl, clock)
    if url:
        from kit.config import ConfigError

        raise ConfigError(f"PASSERELLE_WEB_SESSION_URL is neither redis://, rediss://, sqlite:/// nor memory: {url!r}")
    if data_dir is not None:
        return SqliteStore(Path(data_dir) / "web" / "sessions.sqlite3", ttl, clock)
    return MemoryStore(ttl, clock)


# A second post of a form while its first post still runs (a double click on a slow day): it waits for the first,
# polling the shared store, and goes where the first went. Sent back at once to the form's address, the browser
# (which follows the last answer) showed an empty form, as if nothing had been saved, and the user typed it again.
# The first post ends within the gateway client's timeout (15 s), which bounds the wait.
RUNNING_WAIT = 15.0
RUNNING_POLL = 0.05


def claim_once(session: Session, key: str, wait: float = RUNNING_WAIT) -> str | None:
    """Claim a form key. None: first use (or the earlier post failed), go on. Otherwise where the earlier post
    went; while it runs, wait for it up to ``wait`` seconds ("" if it is still running then)."""
    if not key:
        return None
    if session.store is not None:
        deadline = time.monotonic() + wait
        while True:
            earlier = session.store.claim(session, key)
            if earlier != "" or time.monotonic() >= deadline:
                return earlier
            time.sleep(RUNNING_POLL)
    if key in session.once:
        return session.once[key]
    if len(session.once) >= ONCE_KEPT:
        session.once.pop(next(iter(session.once)))
    session.once[key] = ""
    return None


def settle_once(session: Session, key: str, location: str | None) -> None:
    """Record where a claimed post went; None forgets the key (the post failed and may be tried again)."""
    if not key:
        return
    if session.store is not None:
        session.store.settle(session, key, location)
    elif location is None:
        session.once.pop(key, None)
    else:
        session.once[key] = location


__all__ = [
    "MemoryStore",
    "RedisStore",
    "Session",
    "SessionStore",
    "SqliteStore",
    "StoreUnavailable",
    "claim_once",
    "open_store",
    "settle_once",
]
