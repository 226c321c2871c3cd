"""Transfers of a file between Missions: the ``transfer`` table, one row per side (beneficiary.transfers).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transfer",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("mission", sa.String(32), nullable=False),
        sa.Column("beneficiary_id", sa.String(36), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("consent", sa.Boolean, nullable=False),
        sa.Column("notes_consent", sa.Boolean, nullable=False),
        sa.Column("requested_by", sa.String(100), nullable=False),
        sa.Column("requested_on", sa.Date, nullable=False),
        sa.Column("moves", sa.JSON, nullable=False),
        sa.Column("answered_by", sa.String(100), nullable=True),
        sa.Column("answered_on", sa.Date, nullable=True),
        sa.Column("answer_reason", sa.String(500), nullable=True),
        sa.Column("event_id", sa.String(64), nullable=True),
        sa.Column("file", sa.JSON, nullable=True),
    )
    op.create_index("ix_transfer_beneficiary_id", "transfer", ["beneficiary_id"])
    op.create_index("ix_transfer_direction_status", "transfer", ["direction", "status"])


def downgrade() -> None:
    op.drop_index("ix_transfer_direction_status", table_name="transfer")
    op.drop_index("ix_transfer_beneficiary_id", table_name="transfer")
    op.drop_table("transfer")
