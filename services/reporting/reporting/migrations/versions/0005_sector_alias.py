"""InterMire's pseudonym aliases: a pseudonym re-derived under a new sector key, and what it now reads.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sector_alias",
        sa.Column("previous", sa.String(32), primary_key=True),
        sa.Column("pseudonym", sa.String(32), nullable=False),
        sa.Column("previous_person", sa.BigInteger, nullable=False),
        sa.Column("person", sa.BigInteger, nullable=False),
        sa.Column("key", sa.String(16), nullable=False),
    )
    op.create_index("ix_sector_alias_pseudonym", "sector_alias", ["pseudonym"])


def downgrade() -> None:
    op.drop_index("ix_sector_alias_pseudonym", "sector_alias")
    op.drop_table("sector_alias")
