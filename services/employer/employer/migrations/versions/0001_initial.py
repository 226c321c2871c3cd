"""Employers, outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from kit.migrations import create_kit_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables_v1(op)
    op.create_table(
        "employer",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("enterprise_number", sa.String(10), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("nace", sa.String(10), nullable=False),
        sa.Column("municipality", sa.String(5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("employer")
    op.drop_table("inbox")
    op.drop_table("outbox")
