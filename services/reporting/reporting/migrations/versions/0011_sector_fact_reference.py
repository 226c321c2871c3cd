"""InterMire's fact log holds a vacancy's or a convention's reference where a person's fact holds a pseudonym.

``sector_fact.pseudonym`` is whom or what a fact is about: a person's pseudonym (32 characters), or, for the
employer side's and the conventions' facts, the vacancy's or the convention's reference (a UUID, 36). At 32
characters, PostgreSQL refused every such fact (SQLite does not enforce the length): they were dead-lettered and
InterMire's vacancy and convention figures stayed at 0. Widened to the sector contract's bound on both (64).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sector_fact") as batch:
        batch.alter_column("pseudonym", existing_type=sa.String(32), type_=sa.String(64), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("sector_fact") as batch:
        batch.alter_column("pseudonym", existing_type=sa.String(64), type_=sa.String(32), existing_nullable=False)
