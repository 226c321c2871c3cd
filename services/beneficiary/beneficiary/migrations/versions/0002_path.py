"""The whole path: contact, referral, target groups, disclosures, assessments, plan versions,
stage transitions, notes, contract and six-month check, audit, erasure residue.

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


def _id():
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _owner():
    return sa.Column(
        "beneficiary_id", sa.String(36), sa.ForeignKey("beneficiary.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    with op.batch_alter_table("beneficiary") as batch:
        batch.add_column(sa.Column("phone", sa.String(30), nullable=True))
        batch.add_column(sa.Column("email", sa.String(200), nullable=True))
        batch.add_column(sa.Column("referrer_type", sa.String(30), nullable=True))
        batch.add_column(sa.Column("referrer_organisation", sa.String(200), nullable=True))
        batch.add_column(sa.Column("stage", sa.String(20), nullable=False, server_default="accueil"))
        batch.add_column(sa.Column("status", sa.String(12), nullable=False, server_default="active"))
        batch.add_column(sa.Column("counsellor", sa.String(100), nullable=True))
    op.create_table(
        "target_group",
        _id(),
        _owner(),
        sa.Column("group", sa.String(30), nullable=False),
        sa.Column("evidence", sa.String(300), nullable=False),
        sa.Column("since", sa.Date, nullable=False),
        sa.Column("until", sa.Date, nullable=True),
    )
    op.create_index("ix_target_group_beneficiary_id", "target_group", ["beneficiary_id"])
    op.create_table(
        "disclosure",
        _id(),
        _owner(),
        sa.Column("agency", sa.String(10), nullable=False),
        sa.Column("basis", sa.String(12), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("agency_reference", sa.String(50), nullable=True),
        sa.Column("given_on", sa.Date, nullable=False),
        sa.Column("withdrawn_on", sa.Date, nullable=True),
    )
    op.create_index("ix_disclosure_beneficiary_id", "disclosure", ["beneficiary_id"])
    op.create_table(
        "assessment",
        sa.Column("id", sa.String(36), primary_key=True),
        _owner(),
        sa.Column("assessed_on", sa.Date, nullable=False),
        sa.Column("assessed_by", sa.String(100), nullable=False),
        sa.Column("competences", sa.JSON, nullable=False),
    )
    op.create_index("ix_assessment_beneficiary_id", "assessment", ["beneficiary_id"])
    op.create_table(
        "plan_version",
        sa.Column(
            "beneficiary_id", sa.String(36), sa.ForeignKey("beneficiary.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("target_occupations", sa.JSON, nullable=False),
        sa.Column("missing_competences", sa.JSON, nullable=False),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("contract_wishes", sa.JSON, nullable=False),
        sa.Column("hours_wish", sa.Integer, nullable=True),
        sa.Column("mobility_km", sa.Integer, nullable=False),
        sa.Column("available_from", sa.Date, nullable=True),
        sa.Column("agreed_by", sa.String(100), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agreed_with_person", sa.Boolean, nullable=False),
    )
    op.create_table(
        "stage_transition",
        _id(),
        _owner(),
        sa.Column("from_stage", sa.String(20), nullable=True),
        sa.Column("to_stage", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(30), nullable=True),
        sa.Column("why", sa.String(500), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
    )
    op.create_index("ix_stage_transition_beneficiary_id", "stage_transition", ["beneficiary_id"])
    op.create_table(
        "note",
        sa.Column("id", sa.String(36), primary_key=True),
        _owner(),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_note_beneficiary_id", "note", ["beneficiary_id"])
    op.create_table(
        "contract",
        sa.Column(
            "beneficiary_id", sa.String(36), sa.ForeignKey("beneficiary.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("signed_on", sa.Date, nullable=False),
        sa.Column("employer_id", sa.String(36), nullable=False),
        sa.Column("contract_type", sa.String(20), nullable=False),
        sa.Column("hours_per_week", sa.Integer, nullable=False),
        sa.Column("check_due", sa.Date, nullable=False),
        sa.Column("checked_on", sa.Date, nullable=True),
        sa.Column("still_employed", sa.Boolean, nullable=True),
        sa.Column("check_source", sa.String(20), nullable=True),
    )
    op.create_table(
        "audit",
        _id(),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(100), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("purpose", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(36), nullable=False),
    )
    op.create_index("ix_audit_at", "audit", ["at"])
    op.create_index("ix_audit_subject", "audit", ["subject"])
    op.create_table(
        "erasure_residue",
        _id(),
        sa.Column("registered_month", sa.String(7), nullable=False),
        sa.Column("erased_month", sa.String(7), nullable=False),
        sa.Column("age_band", sa.String(10), nullable=False),
        sa.Column("gender", sa.String(1), nullable=False),
        sa.Column("municipality", sa.String(5), nullable=False),
        sa.Column("last_stage", sa.String(20), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "erasure_residue",
        "audit",
        "contract",
        "note",
        "stage_transition",
        "plan_version",
        "assessment",
        "disclosure",
        "target_group",
    ):
        op.drop_table(table)
    with op.batch_alter_table("beneficiary") as batch:
        for column in ("counsellor", "status", "stage", "referrer_organisation", "referrer_type", "email", "phone"):
            batch.drop_column(column)
