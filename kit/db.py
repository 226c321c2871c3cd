"""SQLAlchemy 2 database access for nameko services.

``Database`` is a dependency provider: it builds one engine per container
from ``DATABASES[<service name>]`` in the container config, and gives each
worker a small facade:

* ``transaction()`` — a session committed on success, rolled back on error;
  events added to the outbox inside it wake the relay after commit;
* ``once(event)`` — the idempotent inbox: a transaction in which
  ``(event.id, handler)`` is recorded with the handler's effect, or ``None``
  when that pair has already taken effect;
* ``once_each(events)`` — the same for a batch handler's events, in one
  transaction: the session and the events not yet applied;
* ``session()`` — a read-only session.

SQLite (the embedded default) allows one writer: write transactions take a
green lock and ``BEGIN IMMEDIATE``, so two green threads never wait on each
other inside SQLite, where a wait would block the whole hub; reads begin
deferred and, in WAL mode, never wait for the writer. PostgreSQL runs
through psycopg2 made green by psycogreen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, event, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kit import faults, metrics
from kit.config import ConfigError
from kit.storage import inbox

log = logging.getLogger(__name__)
DATABASES_KEY = "DATABASES"
DATABASE_POOL_KEY = "DATABASE_POOL_SIZE"
_WRITE = "passerelle_write"
_green_psycopg = False


def _make_green_psycopg() -> None:
    global _green_psycopg
    if _green_psycopg:
        return
    import eventlet.patcher

    if eventlet.patcher.is_monkey_patched("socket"):
        from psycogreen.eventlet import patch_psycopg

        patch_psycopg()
    _green_psycopg = True


def normalize_url(url: str) -> str:
    """Pin PostgreSQL URLs to psycopg2, the driver psycogreen makes green.

    SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3, whose C wait
    loop would block the eventlet hub.
    """
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def own_sqlite_transactions(engine: Engine) -> None:
    """SQLAlchemy's BEGIN, not pysqlite's, opens every transaction on this SQLite engine.

    pysqlite's own transaction handling is switched off (see "Serializable isolation / Savepoints /
    Transactional DDL" in SQLAlchemy's docs): it would commit before every DDL statement, and it cannot take
    the write lock up front. Writers (execution option ``passerelle_write``) begin IMMEDIATE, taking the
    write lock at once (only one green thread asks at a time, see ``_Store.transaction``); readers never
    wait for it.
    """

    @event.listens_for(engine, "connect")
    def _no_pysqlite_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


# A database error's text names the statement, and by default its values too: a failed intake would write a
# national number into the log. The values are left out of every error the services' engines raise.
HIDE_PARAMETERS = True


def make_engine(url: str, pool_size: int = 2) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=HIDE_PARAMETERS
        )
        own_sqlite_transactions(engine)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    if url.startswith("postgresql"):
        _make_green_psycopg()
        # values_plus_batch: the ORM's many-row UPDATEs (a batch handler updating known rows) go in pages
        # (psycopg2's execute_batch) instead of one round trip per row; INSERTs already go as multi-row VALUES.
        return create_engine(
            url,
            pool_size=pool_size,
            max_overflow=10,
            pool_pre_ping=True,
            executemany_mode="values_plus_batch",
            hide_parameters=HIDE_PARAMETERS,
        )
    raise ConfigError(f"unsupported database URL scheme in {url.split(':', 1)[0]}:… (sqlite or postgresql)")


def check_connection(engine: Engine) -> None:
    """Raise ConfigError with one clear line when the database cannot be used."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if "does not exist" in reason:
            raise ConfigError(
                f"database {engine.url.database} is not migrated (it does not exist): run 'passerelle migrate'"
            ) from None
        raise ConfigError(f"database {engine.url.render_as_string(hide_password=True)} unreachable: {reason}") from None


class _Store:
    """What a service holds per database: engine, sessions, write lock, listeners."""

    def __init__(self, url: str, pool_size: int = 2):
        import eventlet.semaphore

        self.engine = make_engine(url, pool_size)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.write_lock = eventlet.semaphore.Semaphore(1)
        self.after_outbox_commit: list[Callable[[], None]] = []

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        lock = self.write_lock if self.is_sqlite else None
        if lock:
            lock.acquire()
        try:
            with self.sessions() as session:
                with session.begin():
                    if lock:
                        session.connection(execution_options={_WRITE: True})
                    yield session
                    faults.point("db.before_commit")
                wrote_outbox = session.info.pop("outbox_added", False)
        finally:
            if lock:
                lock.release()
        if wrote_outbox:
            faults.point("outbox.after_commit")
            for listener in self.after_outbox_commit:
                listener()


class DatabaseFacade:
    def __init__(self, store: _Store, handler: str):
        self._store = store
        self._handler = handler

    @property
    def engine(self) -> Engine:
        return self._store.engine

    def transaction(self):
        return self._store.transaction()

    def session(self) -> Session:
        return self._store.sessions()

    @contextmanager
    def once(self, event) -> Iterator[Session | None]:
        """The effect of ``event`` in this handler, at most once.

        The inbox row and the effect commit together; a redelivered event
        (crash after commit, duplicate publish) finds its row and yields None.
        Two deliveries racing each other collide on the inbox primary key: the
        loser's transaction fails, its message is redelivered and then skipped.
        """
        with self._store.transaction() as session:
            seen = session.execute(
                select(inbox.c.event_id).where(inbox.c.event_id == event.id, inbox.c.handler == self._handler)
            ).first()
            if seen:
                log.info("event %s already applied by %s: skipped", event.id, self._handler)
                metrics.EVENTS_DUPLICATE.labels(self._handler).inc()
                yield None
                return
            session.execute(
                insert(inbox).values(event_id=event.id, handler=self._handler, processed_at=datetime.now(UTC))
            )
            yield session

    @contextmanager
    def once_each(self, events) -> Iterator[tuple[Session, list]]:
        """The effects of a batch of events in this handler, each at most once, in one transaction.

        Yields the session and the events not applied before, in order, each
        id once (a republished duplicate can share a batch with its
        original). Their inbox rows go in with one multi-row insert and
        commit with the effects; a collision with a concurrent delivery fails
        the whole transaction, and the batch handler's split retries each
        event alone, when the inbox then skips it.
        """
        with self._store.transaction() as session:
            ids = {event.id for event in events}
            seen = (
                set(
                    session.scalars(
                        select(inbox.c.event_id).where(inbox.c.handler == self._handler, inbox.c.event_id.in_(ids))
                    )
                )
                if ids
                else set()
            )
            fresh = []
            for event in events:
                if event.id not in seen:
                    seen.add(event.id)
                    fresh.append(event)
            if len(fresh) < len(events):
                log.info(
                    "%d of %d events already applied by %s: skipped",
                    len(events) - len(fresh),
                    len(events),
                    self._handler,
                )
                metrics.EVENTS_DUPLICATE.labels(self._handler).inc(len(events) - len(fresh))
            if fresh:
                now = datetime.now(UTC)
                session.connection().execute(
                    insert(inbox), [{"event_id": e.id, "handler": self._handler, "processed_at": now} for e in fresh]
                )
            yield session, fresh


class Database(DependencyProvider):
    """The service's database, configured by ``DATABASES[<service name>]``."""

    _store: _Store | None = None

    @property
    def store(self) -> _Store:
        # Built on first use: nameko sets extensions up concurrently, and the
        # outbox relay and health checks reach the store from their own setup.
        if self._store is None:
            service = self.container.service_name
            try:
                url = self.container.config[DATABASES_KEY][service]
            except KeyError:
                raise ConfigError(f"no database URL for service '{service}' in {DATABASES_KEY}") from None
            self._store = _Store(url, int(self.container.config.get(DATABASE_POOL_KEY, 2)))
        return self._store

    def setup(self):
        self.store  # noqa: B018 - fail at start, not at first call, on a bad URL

    def stop(self):
        self.store.engine.dispose()

    def kill(self):
        self.store.engine.dispose()

    def get_dependency(self, worker_ctx):
        entry = worker_ctx.entrypoint
        return DatabaseFacade(self.store, f"{self.container.service_name}.{entry.method_name}")
