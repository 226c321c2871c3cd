"""Which kind of identity number each file holds: a national register number or a BIS number.

Intake accepted both already; the kind was not kept. The column starts as ``national_register`` for every
row, and the rows already there whose number is a BIS number (python-stdnum's check, as intake applies it:
``beneficiary.domain.niss_kind``) are set to ``bis``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from stdnum.be import bis

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None
BATCH = 2000


def upgrade() -> None:
    op.add_column(
        "beneficiary",
        sa.Column("niss_kind", sa.String(20), nullable=False, server_default="national_register"),
    )
    conn = op.get_bind()
    people = sa.table("beneficiary", sa.column("id"), sa.column("niss"), sa.column("niss_kind"))
    found = [row.id for row in conn.execute(sa.select(people.c.id, people.c.niss)) if bis.is_valid(row.niss)]
    for start in range(0, len(found), BATCH):  # executemany in batches: bounded memory for the parameters
        conn.execute(
            people.update().where(people.c.id == sa.bindparam("b_id")).values(niss_kind="bis"),
            [{"b_id": person} for person in found[start : start + BATCH]],
        )


def downgrade() -> None:
    with op.batch_alter_table("beneficiary") as batch:
        batch.drop_column("niss_kind")
