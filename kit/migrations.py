"""Alembic, per service: databases are built by migrations, never by create_all.

Each service package holds ``migrations/`` (``env.py`` calls ``run_env``,
``versions/`` holds its revisions). ``upgrade(package, url)`` creates the
database if needed (a SQLite file's folder, a PostgreSQL database) and
migrates it to head; ``drift(package, url)`` lists what the models have that
the migrations do not build.
"""

from __future__ import annotations

import functools
import importlib
import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command, context
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from kit.db import normalize_url, own_sqlite_transactions
from kit.storage import KIT_METADATA

log = logging.getLogger(__name__)


def alembic_config(package: str, url: str) -> Config:
    pkg = importlib.import_module(package)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(str(pkg.__file__)).parent / "migrations"))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


def target_metadata(package: str) -> list[sa.MetaData]:
    models = importlib.import_module(f"{package}.models")
    return [models.Base.metadata, KIT_METADATA]


def run_env() -> None:
    """Body of every service's ``migrations/env.py``."""
    cfg = context.config
    package = Path(str(cfg.get_main_option("script_location"))).parent.name
    engine = sa.create_engine(normalize_url(cfg.attributes["url"]), poolclass=sa.pool.NullPool)
    if engine.dialect.name == "sqlite":
        # One transaction for the whole run, as on PostgreSQL: pysqlite committed before every DDL statement,
        # some forty disk-bound commits per service (about 2,000 at a platform's first start), and a failed
        # migration now leaves the database as it was.
        own_sqlite_transactions(engine)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata(package),
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def ensure_database(url: str) -> None:
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return
    if parsed.get_backend_name() == "postgresql":
        admin = sa.create_engine(
            parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
            ).first()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()


def drop_database(url: str) -> None:
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


@functools.cache
def heads(package: str) -> frozenset[str]:
    """The head revisions of a service's migrations (read once per process: ``up`` asks for 56 databases)."""
    return frozenset(ScriptDirectory.from_config(alembic_config(package, "")).get_heads())


def at_head(package: str, url: str) -> bool:
    """Whether the database exists and is already at its service's head revisions."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return False
    engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return frozenset(MigrationContext.configure(conn).get_current_heads()) == heads(package)
    except sa.exc.OperationalError:  # no such database yet
        return False
    finally:
        engine.dispose()


def upgrade(package: str, url: str) -> None:
    """Create the database if needed and migrate it to head; one read when it is there already (a warm start)."""
    if at_head(package, url):
        return
    ensure_database(url)
    command.upgrade(alembic_config(package, url), "head")


def drift(package: str, url: str) -> list[Any]:
    engine = sa.create_engine(normalize_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        diffs = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), _merged(target_metadata(package))
        )
    engine.dispose()
    return diffs


def _merged(metadatas: list[sa.MetaData]) -> sa.MetaData:
    merged = sa.MetaData()
    for md in metadatas:
        for table in md.tables.values():
            table.to_metadata(merged)
    return merged


def create_kit_tables_v1(op: Operations) -> None:
    """The outbox and inbox as of kit v1; called by each service's first revision."""
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "outbox",
        sa.Column("seq", seq, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("routing_key", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
    )
    op.create_index("ix_outbox_pending", "outbox", ["sent_at", "seq"])
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("handler", sa.String(200), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def outbox_due_index_v2(op: Operations) -> None:
    """kit v2: the relay's index holds only the pending rows, in order (see ``kit.storage``)."""
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.create_index(
        "ix_outbox_due",
        "outbox",
        ["seq"],
        postgresql_where=sa.text("sent_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL"),
    )


def outbox_due_index_v2_down(op: Operations) -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.create_index("ix_outbox_pending", "outbox", ["sent_at", "seq"])
