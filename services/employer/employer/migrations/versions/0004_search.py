"""Employer search and prospection due dates: a name search key and the indexes behind the filters.

``search_name`` (kit.search) is computed in Python for the rows already there, as the model computes it on
every write, so accent-insensitive search behaves the same on SQLite and PostgreSQL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from kit.search import search_key

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_employer_nace", "employer", ["nace"]),
    ("ix_employer_municipality", "employer", ["municipality"]),
    ("ix_employer_account_manager", "employer", ["account_manager"]),
    ("ix_employer_name", "employer", ["name", "id"]),
    ("ix_prospection_next_action_due", "prospection", ["next_action_due"]),
)


def upgrade() -> None:
    op.add_column("employer", sa.Column("search_name", sa.String(210), nullable=False, server_default=""))
    conn = op.get_bind()
    employers = sa.table("employer", sa.column("id"), sa.column("name"), sa.column("search_name"))
    keys = [
        {"e_id": r.id, "key": search_key(r.name)} for r in conn.execute(sa.select(employers.c.id, employers.c.name))
    ]
    if keys:
        conn.execute(
            employers.update().where(employers.c.id == sa.bindparam("e_id")).values(search_name=sa.bindparam("key")),
            keys,
        )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table)
    with op.batch_alter_table("employer") as batch:
        batch.drop_column("search_name")
