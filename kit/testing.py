"""Test helpers: a service on a real migrated database, called as a given actor, without a broker.

``migrated(service, url)`` builds the service's database with its Alembic migrations (SQLite or PostgreSQL,
as the URL says) and yields the store its workers use (``migrate`` returns it); ``worker(ServiceClass,
store, actor)`` is the service class as nameko's ``worker_factory`` makes it, with the kit's real database
facade, site and authorisation in place of the container's dependency providers (every other dependency
is a mock, or what the test passes by name). ``session(store)`` is a session for a use case called
directly, and ``FixedClock`` the clock it reads.

This is the one place tests reach the kit's private classes: when they change, only this module does.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from nameko.testing.services import worker_factory
from sqlalchemy.orm import Session

from kit.actor import Actor, _Authorizer
from kit.application import Clock
from kit.db import DatabaseFacade, _Store
from kit.migrations import upgrade
from kit.service import Placement

Store = _Store


def migrate(service: str, url: str) -> Store:
    """``service``'s database at ``url``, migrated to head (``store.engine.dispose()`` when done).

    A SQLite file is a copy of one migrated once per process and service: running the migrations took
    0.1-0.4 s per service on the 2-core machine (about 60 tests of ``make check`` build a database), a
    copy well under a millisecond. Any other URL (PostgreSQL) is migrated in place.
    """
    path = url.removeprefix(SQLITE_FILE) if url.startswith(SQLITE_FILE) else None
    if path is None or path == ":memory:":
        upgrade(service, url)
    else:
        shutil.copyfile(_migrated_template(service), path)
    return _Store(url)


SQLITE_FILE = "sqlite:///"
_templates: dict[str, Path] = {}


def _migrated_template(service: str) -> Path:
    if service not in _templates:
        folder = Path(tempfile.mkdtemp(prefix=f"passerelle-{service}-"))
        atexit.register(shutil.rmtree, folder, True)
        upgrade(service, f"{SQLITE_FILE}{folder}/{service}.sqlite")
        _templates[service] = folder / f"{service}.sqlite"
    return _templates[service]


@contextmanager
def migrated(service: str, url: str) -> Iterator[Store]:
    """``migrate``, with the store's engine disposed of afterwards."""
    store = migrate(service, url)
    try:
        yield store
    finally:
        store.engine.dispose()


def worker(
    service_cls: type[Any],
    store: Store | None,
    actor: Actor,
    *,
    site: str = "mirec",
    kind: str = "mission",
    mission: str | None = None,
    handler: str | None = None,
    clock: Clock | None = None,
    **dependencies: Any,
) -> Any:
    """``service_cls`` as ``actor`` calls it in site ``site`` (``kind`` mission or intermire).

    ``mission`` is the Mission the caller's checks compare the actor's with (the site code unless
    given); ``handler`` names the inbox entry of an event handler the test calls (``<service>.test``
    by default); ``clock`` is the clock its entrypoints read (a ``FixedClock``; the system's unless
    given). ``store`` None leaves the database a mock (a test that never reaches it).
    """
    if store is not None:
        dependencies["db"] = DatabaseFacade(store, handler or f"{service_cls.name}.test")
    service = worker_factory(
        service_cls,
        site=Placement(site, kind, service_cls.name),
        caller=_Authorizer(actor, mission or site),
        **dependencies,
    )
    if clock is not None:
        service.clock = clock
    return service


def session(store: Store) -> Session:
    """A session on ``store`` (``with session(store) as s, s.begin(): ...`` for one transaction)."""
    return store.sessions()


@dataclass
class FixedClock:
    """A clock that reads ``at`` (UTC) until a test moves it."""

    at: datetime = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()
