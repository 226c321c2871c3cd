"""Corrections with history: a version on each person's file and the ``correction`` table (kit.corrections).

Every file already there starts at version 1, with no correction on record.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from alembic import op

from kit import corrections

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    corrections.add_version_v1(op, "beneficiary")
    corrections.create_table_v1(op)


def downgrade() -> None:
    op.drop_index("ix_correction_record", table_name="correction")
    op.drop_table("correction")
    with op.batch_alter_table("beneficiary") as batch:
        batch.drop_column("version")
