"""Fact logs (mission and sector mode) and erased subjects.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fact",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    for column in ("type", "subject", "month"):
        op.create_index(f"ix_fact_{column}", "fact", [column])
    op.create_table(
        "sector_fact",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("mission", sa.String(20), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("pseudonym", sa.String(32), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    for column in ("mission", "type", "pseudonym", "month"):
        op.create_index(f"ix_sector_fact_{column}", "sector_fact", [column])
    op.create_table("erased_subject", sa.Column("subject", sa.String(64), primary_key=True))


def downgrade() -> None:
    for table in ("erased_subject", "sector_fact", "fact"):
        op.drop_table(table)
