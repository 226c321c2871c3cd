"""Where a first contract's job is: the agency of the job's region hears of it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contract") as batch:
        batch.add_column(sa.Column("workplace_municipality", sa.String(5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contract") as batch:
        batch.drop_column("workplace_municipality")
