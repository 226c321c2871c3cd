"""Catalogue codes on every fact (the aggregation engine's input), erased persons' residue keys, submissions.

Facts logged before this revision get their codes from their stored data, as a replay would give them
(the event's time is not stored: a fact with no date of its own is dated by its month).

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

CODED = (
    ("kind", sa.SmallInteger),
    ("day", sa.Integer),
    ("person", sa.BigInteger),
    ("entity", sa.BigInteger),
    ("tag", sa.SmallInteger),
    ("gender", sa.SmallInteger),
    ("age", sa.SmallInteger),
    ("groups", sa.Integer),
    ("municipality", sa.Integer),
)


def upgrade() -> None:
    for table in ("fact", "sector_fact"):
        with op.batch_alter_table(table) as batch:
            for name, type_ in CODED:
                batch.add_column(sa.Column(name, type_, nullable=False, server_default="0"))
    with op.batch_alter_table("erased_subject") as batch:
        batch.add_column(sa.Column("residue", sa.BigInteger, nullable=False, server_default="0"))
    op.create_table(
        "submission",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("catalogue_version", sa.Integer, nullable=False),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.Column("diff", sa.JSON, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("submitted_by", sa.String(100), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(100), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("period", "version", name="uq_submission_period_version"),
    )
    op.create_index("ix_submission_period", "submission", ["period"])
    _backfill()


def _backfill() -> None:
    from reporting.ingest import codes

    bind = op.get_bind()
    for table, sector in (("fact", False), ("sector_fact", True)):
        person = "pseudonym" if sector else "subject"
        t = sa.table(
            table,
            sa.column("event_id"),
            sa.column("type"),
            sa.column(person),
            sa.column("month"),
            sa.column("data", sa.JSON),
            *[sa.column(name) for name, _ in CODED],
        )
        rows = bind.execute(sa.select(t.c.event_id, t.c.type, t.c[person], t.c.month, t.c.data)).all()
        for event_id, type_, subject, month, data in rows:
            data = dict(data or {})
            if sector:
                data.setdefault("pseudonym", subject)
            elif type_.startswith("be.mire.beneficiary.") and subject != "erased":
                data.setdefault("beneficiary_id", subject)
            values = codes(type_, data, f"{month}-01T00:00:00Z", subject, sector=sector)
            bind.execute(sa.update(t).where(t.c.event_id == event_id).values(**values))


def downgrade() -> None:
    op.drop_index("ix_submission_period", "submission")
    op.drop_table("submission")
    with op.batch_alter_table("erased_subject") as batch:
        batch.drop_column("residue")
    for table in ("fact", "sector_fact"):
        with op.batch_alter_table(table) as batch:
            for name, _ in reversed(CODED):
                batch.drop_column(name)
