"""Employer details, contacts, prospection, vacancies and their transitions.

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
    with op.batch_alter_table("employer") as batch:
        batch.add_column(sa.Column("legal_form", sa.String(3), nullable=True))
        batch.add_column(sa.Column("joint_committee", sa.String(10), nullable=True))
        batch.add_column(sa.Column("size_band", sa.String(10), nullable=True))
        batch.add_column(sa.Column("street", sa.String(200), nullable=True))
        batch.add_column(sa.Column("postal_code", sa.String(4), nullable=True))
        batch.add_column(sa.Column("account_manager", sa.String(100), nullable=True))
    op.create_table(
        "employer_contact",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("employer_id", sa.String(36), sa.ForeignKey("employer.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("function", sa.String(100), nullable=True),
        sa.Column("phone", sa.String(30), nullable=True),
        sa.Column("email", sa.String(200), nullable=True),
    )
    op.create_index("ix_employer_contact_employer_id", "employer_contact", ["employer_id"])
    op.create_table(
        "prospection",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("employer_id", sa.String(36), sa.ForeignKey("employer.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("on", sa.Date, nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("needs", sa.JSON, nullable=False),
        sa.Column("next_action", sa.String(500), nullable=True),
        sa.Column("next_action_due", sa.Date, nullable=True),
    )
    op.create_index("ix_prospection_employer_id", "prospection", ["employer_id"])
    op.create_table(
        "vacancy",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("employer_id", sa.String(36), sa.ForeignKey("employer.id"), nullable=True),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("source_ref", sa.String(50), nullable=True, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("occupation", sa.String(5), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("competences", sa.JSON, nullable=False),
        sa.Column("contract_type", sa.String(20), nullable=False),
        sa.Column("hours_per_week", sa.Integer, nullable=False),
        sa.Column("municipality", sa.String(5), nullable=False),
        sa.Column("posts", sa.Integer, nullable=False),
        sa.Column("filled", sa.Integer, nullable=False),
        sa.Column("start_date", sa.Date, nullable=True),
        sa.Column("insertion_process", sa.Text, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=True),
    )
    for column in ("employer_id", "occupation", "status"):
        op.create_index(f"ix_vacancy_{column}", "vacancy", [column])
    op.create_table(
        "vacancy_transition",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("vacancy_id", sa.String(36), sa.ForeignKey("vacancy.id", ondelete="CASCADE"), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(30), nullable=True),
        sa.Column("beneficiary_id", sa.String(36), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("role", sa.String(100), nullable=False),
    )
    op.create_index("ix_vacancy_transition_vacancy_id", "vacancy_transition", ["vacancy_id"])


def downgrade() -> None:
    for table in ("vacancy_transition", "vacancy", "prospection", "employer_contact"):
        op.drop_table(table)
    with op.batch_alter_table("employer") as batch:
        for column in ("account_manager", "postal_code", "street", "size_band", "joint_committee", "legal_form"):
            batch.drop_column(column)
