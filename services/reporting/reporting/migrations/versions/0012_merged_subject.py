"""A Mission's merged files: a provisional file's facts re-attributed to the kept file (one person).

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
        "merged_subject",
        sa.Column("subject", sa.String(64), primary_key=True),
        sa.Column("into", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("merged_subject")
