"""Reporting facts (mission and sector mode), outbox and inbox.

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
        "entry",
        sa.Column("beneficiary_id", sa.String(36), primary_key=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("municipality", sa.String(5), nullable=False),
        sa.Column("gender", sa.String(1), nullable=False),
        sa.Column("age_band", sa.String(10), nullable=False),
    )
    op.create_index("ix_entry_month", "entry", ["month"])
    op.create_table(
        "employer_fact",
        sa.Column("employer_id", sa.String(36), primary_key=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("nace", sa.String(10), nullable=False),
    )
    op.create_table(
        "sector_entry",
        sa.Column("mission", sa.String(20), primary_key=True),
        sa.Column("pseudonym", sa.String(32), primary_key=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("age_band", sa.String(10), nullable=False),
    )
    op.create_index("ix_sector_entry_month", "sector_entry", ["month"])


def downgrade() -> None:
    for table in ("sector_entry", "employer_fact", "entry", "inbox", "outbox"):
        op.drop_table(table)
