"""Exits by reason (catalogue version 2): the exit facts logged before it get their reason as their qualifier.

The reason is in each exit fact's stored data, as a replay would code it (``reporting.ingest.codes``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

EXITED = "be.mire.beneficiary.exited.v1"
# catalogue.TAG_VALUES as of this revision: the codes are stored, so they are written here, not imported
TAG_CODE = {
    "durable_employment": 6,
    "training_elsewhere": 7,
    "moved": 8,
    "end_of_accompaniment": 9,
    "other": 10,
}


def upgrade() -> None:
    bind = op.get_bind()
    for name in ("fact", "sector_fact"):
        t = sa.table(
            name,
            sa.column("event_id", sa.String),
            sa.column("type", sa.String),
            sa.column("data", sa.JSON),
            sa.column("tag", sa.SmallInteger),
        )
        rows = bind.execute(sa.select(t.c.event_id, t.c.data).where(t.c.type == EXITED)).all()
        for event_id, data in rows:
            code = TAG_CODE.get((data or {}).get("reason"), 0)
            if code:
                bind.execute(sa.update(t).where(t.c.event_id == event_id).values(tag=code))


def downgrade() -> None:
    bind = op.get_bind()
    for name in ("fact", "sector_fact"):
        t = sa.table(name, sa.column("type", sa.String), sa.column("tag", sa.SmallInteger))
        bind.execute(sa.update(t).where(t.c.type == EXITED).values(tag=0))
