"""The kit's own tables, present in every service's database.

``outbox`` holds integration events written in the same transaction as the
state change they describe; the relay publishes and marks them. ``inbox``
records which (event, handler) pairs have taken effect, so that a
redelivered event is applied once. Each service's first migration creates
both through ``kit.migrations.create_kit_tables``.
"""

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text

KIT_METADATA = MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY.
_SEQ = BigInteger().with_variant(Integer(), "sqlite")

outbox = Table(
    "outbox",
    KIT_METADATA,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("audience", String(16), nullable=False),
    Column("routing_key", String(255), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    # Why the last attempt failed (nack, unroutable, broker down): never a payload excerpt.
    Column("last_error", String(300), nullable=True),
)
# The relay reads the first pending rows in order. Sent rows stay (replays read them), so the table only grows:
# an index of the pending rows alone, in order, keeps that read as short as the backlog's first batch. (An index
# on (sent_at, seq) made PostgreSQL collect and sort every pending row, 280 ms a batch at a 300,000-row backlog.)
_pending = outbox.c.sent_at.is_(None)
Index("ix_outbox_due", outbox.c.seq, postgresql_where=_pending, sqlite_where=_pending)

inbox = Table(
    "inbox",
    KIT_METADATA,
    Column("event_id", String(64), primary_key=True),
    Column("handler", String(200), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)
