"""InterMire's forgotten pseudonyms: a Mission erased the person; later facts about them are refused.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sector_forgotten",
        sa.Column("mission", sa.String(20), primary_key=True),
        sa.Column("pseudonym", sa.String(32), primary_key=True),
        sa.Column("month", sa.String(7), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sector_forgotten")
