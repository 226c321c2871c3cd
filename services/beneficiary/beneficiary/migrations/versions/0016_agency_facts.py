"""What the agencies tell the Mission: ``agency_fact`` (applied, on the person's file) and ``agency_refusal``
(refused, and why; beneficiary.agency_facts).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency_fact",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("beneficiary_id", sa.String(36), sa.ForeignKey("beneficiary.id", ondelete="CASCADE"), nullable=False),
        sa.Column("agency", sa.String(10), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("occurred_on", sa.Date, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facts", sa.JSON, nullable=False),
    )
    op.create_index("ix_agency_fact_beneficiary_id", "agency_fact", ["beneficiary_id"])
    op.create_table(
        "agency_refusal",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("agency", sa.String(10), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("agency_refusal")
    op.drop_index("ix_agency_fact_beneficiary_id", table_name="agency_fact")
    op.drop_table("agency_fact")
