"""Signals that a person is followed by other Missions too.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "followed_elsewhere",
        sa.Column("pseudonym", sa.String(32), primary_key=True),
        sa.Column("missions", sa.JSON, nullable=False),
        sa.Column("signalled_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("followed_elsewhere")
