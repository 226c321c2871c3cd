"""Candidates, vacancies, erased candidates, proposals and their steps.

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
        "candidate",
        sa.Column("beneficiary_id", sa.String(64), primary_key=True),
        sa.Column("municipality", sa.String(5), nullable=True),
        sa.Column("assessed_on", sa.Date, nullable=True),
        sa.Column("competences", sa.JSON, nullable=False),
        sa.Column("plan_version", sa.Integer, nullable=True),
        sa.Column("target_occupations", sa.JSON, nullable=False),
        sa.Column("contract_wishes", sa.JSON, nullable=False),
        sa.Column("hours_wish", sa.Integer, nullable=True),
        sa.Column("mobility_km", sa.Integer, nullable=True),
        sa.Column("available_from", sa.Date, nullable=True),
        sa.Column("placed_on", sa.Date, nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_candidate_changed_at", "candidate", ["changed_at"])
    op.create_table("erased_candidate", sa.Column("beneficiary_id", sa.String(64), primary_key=True))
    op.create_table(
        "vacancy",
        sa.Column("vacancy_id", sa.String(64), primary_key=True),
        sa.Column("employer_id", sa.String(64), nullable=False),
        sa.Column("occupation", sa.String(5), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("competences", sa.JSON, nullable=False),
        sa.Column("contract_type", sa.String(20), nullable=True),
        sa.Column("hours_per_week", sa.Integer, nullable=True),
        sa.Column("municipality", sa.String(5), nullable=True),
        sa.Column("posts", sa.Integer, nullable=False),
        sa.Column("start_date", sa.Date, nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_vacancy_changed_at", "vacancy", ["changed_at"])
    op.create_table(
        "proposal",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("vacancy_id", sa.String(64), nullable=False),
        sa.Column("beneficiary_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_proposal_vacancy_id", "proposal", ["vacancy_id"])
    op.create_index("ix_proposal_beneficiary_id", "proposal", ["beneficiary_id"])
    op.create_table(
        "proposal_step",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("proposal_id", sa.String(36), sa.ForeignKey("proposal.id", ondelete="CASCADE"), nullable=False),
        sa.Column("from_state", sa.String(12), nullable=True),
        sa.Column("to_state", sa.String(12), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_index("ix_proposal_step_proposal_id", "proposal_step", ["proposal_id"])


def downgrade() -> None:
    for table in ("proposal_step", "proposal", "vacancy", "erased_candidate", "candidate"):
        op.drop_table(table)
