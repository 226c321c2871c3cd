"""InterMire's retention mark: the month before which its sector facts were dropped (reporting.retention).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sector_retention",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("facts_before", sa.String(7), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sector_retention")
