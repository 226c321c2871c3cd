"""Training projects, versioned conventions, parties and signatures, internships, trainees, committees.

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

TZ = sa.DateTime(timezone=True)


def _log_columns():
    return [
        sa.Column("at", TZ, nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("role", sa.String(100), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "project",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("vacancy_id", sa.String(36), nullable=False),
        sa.Column("employer_id", sa.String(36), nullable=False),
        sa.Column("vacancy_status", sa.String(20), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    )
    op.create_index("ix_project_vacancy_id", "project", ["vacancy_id"])
    op.create_index("ix_project_employer_id", "project", ["employer_id"])
    op.create_table(
        "convention",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(36), sa.ForeignKey("project.id"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("previous_id", sa.String(36), sa.ForeignKey("convention.id"), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_reason", sa.String(30), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("post_title", sa.String(200), nullable=True),
        sa.Column("hires_committed", sa.Integer, nullable=True),
        sa.Column("contract_type", sa.String(20), nullable=True),
        sa.Column("hours_per_week", sa.Integer, nullable=True),
        sa.Column("training_profile", sa.String(200), nullable=True),
        sa.Column("specification", sa.Text, nullable=True),
        sa.Column("hours_centre", sa.Integer, nullable=True),
        sa.Column("hours_work", sa.Integer, nullable=True),
        sa.Column("start_date", sa.Date, nullable=True),
        sa.Column("end_date", sa.Date, nullable=True),
        sa.Column("trainees_planned", sa.Integer, nullable=True),
        sa.Column("hires_actual", sa.Integer, nullable=True),
        sa.Column("commitment_outcome", sa.String(10), nullable=True),
        sa.Column("evaluated_at", TZ, nullable=True),
        sa.UniqueConstraint("project_id", "kind", "version", name="uq_convention_version"),
    )
    op.create_index("ix_convention_project_id", "convention", ["project_id"])
    op.create_index("ix_convention_status", "convention", ["status"])
    op.create_table(
        "convention_party",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("convention_id", sa.String(36), sa.ForeignKey("convention.id", ondelete="CASCADE"), nullable=False),
        sa.Column("party", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("enterprise_number", sa.String(10), nullable=True),
        sa.Column("signed_at", TZ, nullable=True),
        sa.Column("signer_name", sa.String(200), nullable=True),
        sa.Column("signer_function", sa.String(100), nullable=True),
        sa.Column("recorded_by", sa.String(100), nullable=True),
        sa.UniqueConstraint("convention_id", "party", name="uq_convention_party"),
    )
    op.create_index("ix_convention_party_convention_id", "convention_party", ["convention_id"])
    op.create_table(
        "convention_transition",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("convention_id", sa.String(36), sa.ForeignKey("convention.id", ondelete="CASCADE"), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(30), nullable=True),
        sa.Column("party", sa.String(20), nullable=True),
        *_log_columns(),
    )
    op.create_index("ix_convention_transition_convention_id", "convention_transition", ["convention_id"])
    op.create_table(
        "internship",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(36), sa.ForeignKey("project.id"), nullable=False),
        sa.Column("beneficiary_id", sa.String(36), nullable=True),
        sa.Column("host_employer_id", sa.String(36), nullable=True),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("project_id", "beneficiary_id", name="uq_internship_person"),
    )
    op.create_index("ix_internship_project_id", "internship", ["project_id"])
    op.create_index("ix_internship_beneficiary_id", "internship", ["beneficiary_id"])
    op.create_table(
        "trainee",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(36), sa.ForeignKey("project.id"), nullable=False),
        sa.Column("beneficiary_id", sa.String(36), nullable=True),
        sa.Column("internship_id", sa.String(36), sa.ForeignKey("internship.id"), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("planned_end", sa.Date, nullable=False),
        sa.Column("completed_on", sa.Date, nullable=True),
        sa.Column("hired_on", sa.Date, nullable=True),
        sa.Column("contract_type", sa.String(20), nullable=True),
        sa.Column("outcome_reason", sa.String(30), nullable=True),
        sa.Column("tutor_name", sa.String(200), nullable=True),
        sa.Column("tutor_function", sa.String(100), nullable=True),
        sa.Column("enrolled_at", TZ, nullable=False),
        sa.UniqueConstraint("project_id", "beneficiary_id", name="uq_trainee_person"),
    )
    for column in ("project_id", "beneficiary_id", "status"):
        op.create_index(f"ix_trainee_{column}", "trainee", [column])
    op.create_table(
        "trainee_transition",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("trainee_id", sa.String(36), sa.ForeignKey("trainee.id", ondelete="CASCADE"), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(30), nullable=True),
        sa.Column("on", sa.Date, nullable=False),
        *_log_columns(),
    )
    op.create_index("ix_trainee_transition_trainee_id", "trainee_transition", ["trainee_id"])
    op.create_table(
        "committee",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(36), sa.ForeignKey("project.id"), nullable=False),
        sa.Column("kind", sa.String(15), nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("attendees", sa.JSON, nullable=False),
        sa.Column("decisions", sa.JSON, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_role", sa.String(100), nullable=False),
    )
    op.create_index("ix_committee_project_id", "committee", ["project_id"])


def downgrade() -> None:
    for table in (
        "committee",
        "trainee_transition",
        "trainee",
        "internship",
        "convention_transition",
        "convention_party",
        "convention",
        "project",
    ):
        op.drop_table(table)
