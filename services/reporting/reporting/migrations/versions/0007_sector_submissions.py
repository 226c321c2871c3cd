"""InterMire's view of the Missions' period submissions (status, versions, which figures changed).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sector_submission",
        sa.Column("mission", sa.String(20), primary_key=True),
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("catalogue_version", sa.Integer, nullable=True),
        sa.Column("correction", sa.Boolean, nullable=True),
        sa.Column("changed", sa.JSON, nullable=True),
        sa.Column("submitted_on", sa.String(10), nullable=True),
        sa.Column("approved_on", sa.String(10), nullable=True),
    )
    op.create_index("ix_sector_submission_period", "sector_submission", ["period"])


def downgrade() -> None:
    op.drop_index("ix_sector_submission_period", "sector_submission")
    op.drop_table("sector_submission")
