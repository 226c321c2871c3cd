"""Corrections with history: a version on employers, contacts and vacancies, and the ``correction`` table
(kit.corrections).

Every record already there starts at version 1, with no correction on record.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from alembic import op

from kit import corrections

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None
TABLES = ("employer", "employer_contact", "vacancy")


def upgrade() -> None:
    corrections.add_version_v1(op, *TABLES)
    corrections.create_table_v1(op)


def downgrade() -> None:
    op.drop_index("ix_correction_record", table_name="correction")
    op.drop_table("correction")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
