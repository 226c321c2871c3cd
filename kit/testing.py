"""Test helpers: a service on a real migrated database, called as a given actor, without a broker.

``migrated(service, url)`` builds the service's database with its Alembic migrations (SQLite or PostgreSQL,
as the URL says: a copy of a template migrated once, ``build``) and yields the store its workers use (``migrate``
returns it); ``worker(ServiceClass, store, actor)`` is the service class as nameko's ``worker_factory`` makes it,
with the kit's real database facade, site and authorisation in place of the container's dependency providers
(every other dependency is a mock, or what the test passes by name). ``session(store)`` is a session for a use
case called directly, and ``FixedClock`` the clock it reads.

This is the one place tests reach the kit's private classes: when they change, only this module does.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from nameko.testing.services import worker_factory
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from kit import migrations as migrations_module
from kit.actor import Actor, _Authorizer
from kit.application import Clock
from kit.db import DatabaseFacade, _Store, normalize_url
from kit.migrations import upgrade
from kit.service import Placement

Store = _Store


def migrate(service: str, url: str) -> Store:
    """``service``'s database at ``url``, migrated to head (``store.engine.dispose()`` when done)."""
    build(service, url)
    return _Store(url)


def build(service: str, url: str) -> None:
    """Create ``service``'s database at ``url`` as a copy of one migrated to head.

    Running the migrations took 0.1-0.6 s per service and database on the 2-core machine, and a test platform
    builds up to fifteen databases. So each is a copy of a template migrated once:

    - a SQLite file is a copy of one migrated once per process and service (well under a millisecond);
    - a PostgreSQL database is ``CREATE DATABASE … TEMPLATE`` of a template named after the content of the
      service's migrations (``passerelle_template_<service>_<digest>``): migrated once, under an advisory lock
      so that concurrent test processes build it once, and kept for the next run while the migrations are
      unchanged. A copy takes 0.2-0.5 s, migrating 0.5-1.3 s.

    A database that already exists, or any other URL, is migrated in place, as ``kit.migrations.upgrade`` does.
    """
    parsed = make_url(normalize_url(url))
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        target = Path(parsed.database)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_migrated_template(service), target)
            return
    elif backend == "postgresql" and parsed.database and _copy_of_template(service, parsed):
        return
    upgrade(service, url)


SQLITE_FILE = "sqlite:///"
_templates: dict[str, Path] = {}


def _migrated_template(service: str) -> Path:
    if service not in _templates:
        folder = Path(tempfile.mkdtemp(prefix=f"passerelle-{service}-"))
        atexit.register(shutil.rmtree, folder, True)
        upgrade(service, f"{SQLITE_FILE}{folder}/{service}.sqlite")
        _templates[service] = folder / f"{service}.sqlite"
    return _templates[service]


def template_name(service: str) -> str:
    """The PostgreSQL template of ``service``: named after its migrations' content and the kit's migration helpers."""
    package = Path(str(importlib.import_module(service).__file__)).parent
    digest = hashlib.sha256()
    for path in sorted((package / "migrations").rglob("*.py")) + [Path(migrations_module.__file__ or "")]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"passerelle_template_{service}_{digest.hexdigest()[:12]}"


def _copy_of_template(service: str, target: URL) -> bool:
    """``target`` created from ``service``'s template (built first if missing); False if ``target`` exists."""
    template = template_name(service)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            exists = sa.text("SELECT 1 FROM pg_database WHERE datname = :n")
            if conn.execute(exists, {"n": target.database}).first():
                return False
            if not conn.execute(exists, {"n": template}).first():
                conn.execute(sa.text("SELECT pg_advisory_lock(hashtext(:n))"), {"n": template})
                try:
                    if not conn.execute(exists, {"n": template}).first():
                        _build_template(service, target, template, conn)
                finally:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(hashtext(:n))"), {"n": template})
            for attempt in range(20):
                try:
                    conn.execute(sa.text(f'CREATE DATABASE "{target.database}" TEMPLATE "{template}"'))
                    return True
                except sa.exc.OperationalError as exc:
                    # Only while another process still holds a connection to the template it has just built.
                    if "being accessed by other users" not in str(exc) or attempt == 19:
                        raise
                    time.sleep(0.1)
            return True
    finally:
        admin.dispose()


def _build_template(service: str, target: URL, template: str, conn: sa.Connection) -> None:
    """Migrate a database under a scratch name, then give it the template's name: a run interrupted while
    migrating never leaves a half-built template behind."""
    building = f"{template}_building"
    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)'))
    conn.execute(sa.text(f'CREATE DATABASE "{building}"'))
    upgrade(service, target.set(database=building).render_as_string(hide_password=False))
    conn.execute(sa.text(f'ALTER DATABASE "{building}" RENAME TO "{template}"'))


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
