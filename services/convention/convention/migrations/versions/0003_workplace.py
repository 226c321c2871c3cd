"""Where the trainees of an employer convention will work: the agency of that region hears of it.

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
    with op.batch_alter_table("convention") as batch:
        batch.add_column(sa.Column("workplace_municipality", sa.String(5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("convention") as batch:
        batch.drop_column("workplace_municipality")
