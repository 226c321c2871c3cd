"""The outbox's relay index holds only the pending rows (kit v2).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op

from kit.migrations import outbox_due_index_v2, outbox_due_index_v2_down

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    outbox_due_index_v2(op)


def downgrade() -> None:
    outbox_due_index_v2_down(op)
