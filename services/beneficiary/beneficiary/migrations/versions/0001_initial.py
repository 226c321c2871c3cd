"""Beneficiary files, outbox and inbox.

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
        "beneficiary",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("niss", sa.String(11), nullable=False, unique=True),
        sa.Column("pseudonym", sa.String(32), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("gender", sa.String(1), nullable=False),
        sa.Column("municipality", sa.String(5), nullable=False),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_beneficiary_pseudonym", "beneficiary", ["pseudonym"])


def downgrade() -> None:
    op.drop_table("beneficiary")
    op.drop_table("inbox")
    op.drop_table("outbox")
