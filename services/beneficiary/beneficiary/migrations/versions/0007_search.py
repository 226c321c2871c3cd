"""Search, caseload and what is due: a name search key, a plan's review date, and their indexes.

``search_name`` (kit.search), each plan version's ``review_due`` and each person's current
``plan_review_due`` are computed for the rows already there, as the models compute them on every write, so
accent-insensitive search behaves the same on SQLite and PostgreSQL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import json
from datetime import date

import sqlalchemy as sa
from alembic import op

from kit.search import search_key

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None
BATCH = 2000

INDEXES = (
    ("ix_beneficiary_counsellor_status_stage", "beneficiary", ["counsellor", "status", "stage"]),
    ("ix_beneficiary_last_name", "beneficiary", ["last_name", "first_name", "id"]),
    ("ix_beneficiary_stage", "beneficiary", ["stage"]),
    ("ix_beneficiary_municipality", "beneficiary", ["municipality"]),
    ("ix_beneficiary_registered_on", "beneficiary", ["registered_on"]),
    ("ix_target_group_group", "target_group", ["group"]),
    ("ix_contract_check_due", "contract", ["check_due"]),
    ("ix_beneficiary_plan_review_due", "beneficiary", ["plan_review_due"]),
)


def _review_due(actions) -> date | None:
    if isinstance(actions, str):  # SQLite hands JSON back as text through a bare table
        actions = json.loads(actions)
    dues = [a.get("due") for a in actions or [] if a.get("due")]
    return date.fromisoformat(min(dues)) if dues else None


def upgrade() -> None:
    op.add_column("beneficiary", sa.Column("search_name", sa.String(210), nullable=False, server_default=""))
    op.add_column("beneficiary", sa.Column("plan_review_due", sa.Date(), nullable=True))
    op.add_column("plan_version", sa.Column("review_due", sa.Date(), nullable=True))
    conn = op.get_bind()
    people = sa.table(
        "beneficiary",
        sa.column("id"),
        sa.column("first_name"),
        sa.column("last_name"),
        sa.column("search_name"),
        sa.column("plan_review_due"),
    )
    rows = conn.execute(sa.select(people.c.id, people.c.first_name, people.c.last_name)).all()
    for start in range(0, len(rows), BATCH):  # executemany in batches: bounded memory for the parameters
        conn.execute(
            people.update().where(people.c.id == sa.bindparam("b_id")).values(search_name=sa.bindparam("key")),
            [{"b_id": r.id, "key": search_key(r.first_name, r.last_name)} for r in rows[start : start + BATCH]],
        )
    plans = sa.table(
        "plan_version", sa.column("beneficiary_id"), sa.column("version"), sa.column("actions"), sa.column("review_due")
    )
    dated, current = [], {}  # every dated version; each person's latest version (the current plan)
    for r in conn.execute(sa.select(plans.c.beneficiary_id, plans.c.version, plans.c.actions)):
        due = _review_due(r.actions)
        if due:
            dated.append({"b_id": r.beneficiary_id, "v": r.version, "due": due})
        if r.version > current.get(r.beneficiary_id, (0, None))[0]:
            current[r.beneficiary_id] = (r.version, due)
    if dated:
        conn.execute(
            plans.update()
            .where(plans.c.beneficiary_id == sa.bindparam("b_id"), plans.c.version == sa.bindparam("v"))
            .values(review_due=sa.bindparam("due", type_=sa.Date())),
            dated,
        )
    reviews = [{"b_id": pid, "due": due} for pid, (_, due) in current.items() if due]
    if reviews:
        conn.execute(
            people.update()
            .where(people.c.id == sa.bindparam("b_id"))
            .values(plan_review_due=sa.bindparam("due", type_=sa.Date())),
            reviews,
        )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table)
    with op.batch_alter_table("plan_version") as batch:
        batch.drop_column("review_due")
    with op.batch_alter_table("beneficiary") as batch:
        batch.drop_column("plan_review_due")
        batch.drop_column("search_name")
