"""Which sector key made each person's pseudonym (its fingerprint, ``kit.pseudonym.key_id``).

Rows made before key identifiers existed get ``''``: the next ``passerelle rotate-sector-key`` re-derives
them under the current key, as any pseudonym of another key.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("beneficiary", sa.Column("pseudonym_key", sa.String(16), nullable=False, server_default=""))
    op.create_index("ix_beneficiary_pseudonym_key", "beneficiary", ["pseudonym_key"])


def downgrade() -> None:
    op.drop_index("ix_beneficiary_pseudonym_key", "beneficiary")
    with op.batch_alter_table("beneficiary") as batch:
        batch.drop_column("pseudonym_key")
