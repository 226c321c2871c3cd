"""Referrals in: the ``referral`` table (a partner's referral of a person and the Mission's answer), and the
episode's ``referral_id`` (the referral an intake was opened from) (beneficiary.referrals).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referral",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("organisation", sa.String(64), nullable=False),
        sa.Column("partner_type", sa.String(40), nullable=True),
        sa.Column("submitted_by", sa.String(100), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("niss", sa.String(11), nullable=True),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("search_name", sa.String(210), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("municipality", sa.String(5), nullable=False),
        sa.Column("phone", sa.String(30), nullable=True),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("target_groups", sa.JSON, nullable=False),
        sa.Column("consent", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("answered_by", sa.String(100), nullable=True),
        sa.Column("answered_on", sa.Date, nullable=True),
        sa.Column("decline_reason", sa.String(500), nullable=True),
        sa.Column("beneficiary_id", sa.String(36), nullable=True),
        sa.Column("inform_referrer", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_referral_beneficiary_id", "referral", ["beneficiary_id"])
    op.create_index("ix_referral_status_submitted", "referral", ["status", "submitted_at"])
    op.create_index("ix_referral_organisation", "referral", ["organisation", "submitted_at"])
    op.create_index("ix_referral_same_person", "referral", ["organisation", "search_name", "birth_date"])
    op.add_column("episode", sa.Column("referral_id", sa.String(36), nullable=True))


def downgrade() -> None:
    op.drop_column("episode", "referral_id")
    op.drop_table("referral")
