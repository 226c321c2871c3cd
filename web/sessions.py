"""Server-side sessions: a random id in an HttpOnly cookie, everything else in memory here.

A session holds the signed-in user (subject, Mission, roles, bearer token and
its expiry), the CSRF token its forms carry, the language, one-shot messages,
and the form keys already used (``once``): a form posted twice with the same
key (a double click, a reload after the answer) is not sent to the gateway a
second time but redirected where the first one went. An idle session expires
after ``ttl`` seconds; so does one whose token expired. In memory means one
web process and sign-in again after a restart: acceptable for now (README).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

ONCE_KEPT = 200  # form keys remembered per session


@dataclass
class Session:
    id: str
    csrf: str
    expires_at: float
    user: dict | None = None  # sub, mission, roles, token, token_expires_at, name
    lang: str = "fr"
    flashes: list[str] = field(default_factory=list)
    once: dict[str, str] = field(default_factory=dict)  # form key -> where its first post went ("" = in flight)
    pending: dict = field(default_factory=dict)  # e.g. an OIDC flow's state, verifier and return path

    def check_csrf(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token, self.csrf)

    def flash(self, message: str) -> None:
        self.flashes.append(message)

    def take_flashes(self) -> list[str]:
        taken, self.flashes = self.flashes, []
        return taken


class SessionStore:
    def __init__(self, ttl: float = 1800.0, clock=time.time):
        self.ttl, self.clock = ttl, clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def new(self, lang: str = "fr") -> Session:
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.clock() + self.ttl, lang=lang)
        with self._lock:
            self._sweep()
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            now = self.clock()
            if session.expires_at < now:
                del self._sessions[session_id]
                return None
            session.expires_at = now + self.ttl  # idle timeout: every request extends it
            return session

    def rotate(self, session: Session) -> Session:
        """A new id (and CSRF token) for the same session: done at sign-in against session fixation."""
        fresh = self.new(session.lang)
        fresh.pending = {}
        self.drop(session.id)
        return fresh

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def expire_now(self, session_id: str) -> None:
        """Tests and sign-out: the session is gone as if its time had run out."""
        self.drop(session_id)

    def _sweep(self) -> None:
        now = self.clock()
        for sid in [sid for sid, s in self._sessions.items() if s.expires_at < now]:
            del self._sessions[sid]


def claim_once(session: Session, key: str) -> str | None:
    """Claim a form key. None: first use, go on. Otherwise where the earlier post went ("" while it runs)."""
    if not key:
        return None
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
    if location is None:
        session.once.pop(key, None)
    else:
        session.once[key] = location
