"""Provisional identities and their merges; the audit trail indexed by user.

* ``beneficiary.niss`` may be NULL: a person taken in with neither a national register nor a BIS number
  holds none until the identity is completed (``beneficiary.identity``). The unique constraint stays: NULLs
  apart, one file per number.
* ``identity_merge``: the trace of a provisional file folded into the file that already held the number.
* ``ix_audit_actor_at``: the data-protection officer lists one user's reads, newest first; without it the
  listing reads the whole trail.

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
    with op.batch_alter_table("beneficiary") as batch:
        batch.alter_column("niss", existing_type=sa.String(11), nullable=True)
    op.create_table(
        "identity_merge",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("merged_id", sa.String(36), nullable=False, unique=True),
        sa.Column("into_id", sa.String(36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
    )
    op.create_index("ix_identity_merge_into_id", "identity_merge", ["into_id"])
    op.create_index("ix_audit_actor_at", "audit", ["actor", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_actor_at", table_name="audit")
    op.drop_index("ix_identity_merge_into_id", table_name="identity_merge")
    op.drop_table("identity_merge")
    with op.batch_alter_table("beneficiary") as batch:
        batch.alter_column("niss", existing_type=sa.String(11), nullable=False)
