"""A person's corrections carry their corrected codes to their later facts (mission mode): the corrections
logged before this revision get their type's code and, as their qualifier, the version each made.

As a replay would code them (``reporting.ingest.codes``); no sector fact is a correction.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CORRECTED = "be.mire.beneficiary.corrected.v1"
# catalogue.TYPE_CODE[CORRECTED] as of this revision: the codes are stored, so it is written here, not imported
KIND = 18


def _fact():
    return sa.table(
        "fact",
        sa.column("event_id", sa.String),
        sa.column("type", sa.String),
        sa.column("data", sa.JSON),
        sa.column("kind", sa.SmallInteger),
        sa.column("tag", sa.SmallInteger),
    )


def upgrade() -> None:
    bind = op.get_bind()
    t = _fact()
    for event_id, data in bind.execute(sa.select(t.c.event_id, t.c.data).where(t.c.type == CORRECTED)).all():
        version = min(int((data or {}).get("version") or 0), 32767)
        bind.execute(sa.update(t).where(t.c.event_id == event_id).values(kind=KIND, tag=version))


def downgrade() -> None:
    t = _fact()
    op.get_bind().execute(sa.update(t).where(t.c.type == CORRECTED).values(kind=0, tag=0))
