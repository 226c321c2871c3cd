"""Orientations of a person to a partner's service, with their outcome: the ``orientation`` table
(beneficiary.orientations).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orientation",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("beneficiary_id", sa.String(36), nullable=False),
        sa.Column("episode", sa.Integer, nullable=False),
        sa.Column("plan_version", sa.Integer, nullable=True),
        sa.Column("service_id", sa.String(36), nullable=False),
        sa.Column("partner_type", sa.String(30), nullable=False),
        sa.Column("purpose", sa.String(500), nullable=False),
        sa.Column("appointment_on", sa.Date, nullable=False),
        sa.Column("shared", sa.JSON, nullable=False),
        sa.Column("consent", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("made_by", sa.String(100), nullable=False),
        sa.Column("made_on", sa.Date, nullable=False),
        sa.Column("outcome_on", sa.Date, nullable=True),
        sa.Column("outcome_reason", sa.String(500), nullable=True),
        sa.Column("outcome_by", sa.String(100), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    )
    op.create_index("ix_orientation_beneficiary_id", "orientation", ["beneficiary_id"])


def downgrade() -> None:
    op.drop_index("ix_orientation_beneficiary_id", table_name="orientation")
    op.drop_table("orientation")
