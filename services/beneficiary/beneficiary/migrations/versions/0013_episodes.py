"""Episodes: a person who left and comes back opens a new episode on the same file.

Every file already there gets its episode 1, from its intake date (``registered_on``); a closed file (exited or
dropped out) gets the date and reason of the move that closed it as the episode's end. The current episode's
number is kept on the file (``beneficiary.episode``), and path entries, plan versions and contracts get an
``episode`` column (1 for every row already there). The contract's key becomes (person, episode): one first
contract per episode.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None
BATCH = 2000
CLOSING = ("exited", "dropped_out")


def _episode_column() -> sa.Column:
    return sa.Column("episode", sa.Integer, nullable=False, server_default="1")


def upgrade() -> None:
    op.create_table(
        "episode",
        sa.Column(
            "beneficiary_id", sa.String(36), sa.ForeignKey("beneficiary.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date, nullable=True),
        sa.Column("outcome", sa.String(12), nullable=True),
        sa.Column("outcome_reason", sa.String(30), nullable=True),
        sa.Column("referrer_type", sa.String(30), nullable=True),
        sa.Column("referrer_organisation", sa.String(200), nullable=True),
        sa.Column("why", sa.String(500), nullable=True),
        sa.Column("opened_by", sa.String(100), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("beneficiary", _episode_column())
    op.add_column("stage_transition", _episode_column())
    op.add_column("plan_version", _episode_column())
    _contract_keyed_by(["beneficiary_id", "episode"])
    _first_episodes(op.get_bind())


CONTRACT_COLUMNS = (
    "beneficiary_id",
    "signed_on",
    "employer_id",
    "contract_type",
    "hours_per_week",
    "check_due",
    "checked_on",
    "still_employed",
    "check_source",
    "workplace_municipality",
)


def _contract_keyed_by(key: list[str]) -> None:
    """Rebuild ``contract`` with ``key`` as its primary key (and ``episode`` only if in it), rows kept.

    A key cannot be altered in place on SQLite; a new table, the rows copied, the old one dropped and the
    new one renamed reads the same on both databases."""
    with_episode = "episode" in key
    columns = [
        sa.Column(
            "beneficiary_id", sa.String(36), sa.ForeignKey("beneficiary.id", ondelete="CASCADE"), primary_key=True
        ),
        *([sa.Column("episode", sa.Integer, primary_key=True, server_default="1")] if with_episode else []),
        sa.Column("signed_on", sa.Date, nullable=False),
        sa.Column("employer_id", sa.String(36), nullable=False),
        sa.Column("contract_type", sa.String(20), nullable=False),
        sa.Column("hours_per_week", sa.Integer, nullable=False),
        sa.Column("check_due", sa.Date, nullable=False),
        sa.Column("checked_on", sa.Date, nullable=True),
        sa.Column("still_employed", sa.Boolean, nullable=True),
        sa.Column("check_source", sa.String(20), nullable=True),
        sa.Column("workplace_municipality", sa.String(5), nullable=True),
    ]
    op.create_table("contract_rekeyed", *columns)
    names = ", ".join(CONTRACT_COLUMNS)
    # Going back to one contract per person keeps each person's first episode's.
    where = "" if with_episode else " WHERE episode = 1"
    op.execute(f"INSERT INTO contract_rekeyed ({names}) SELECT {names} FROM contract{where}")
    op.drop_index("ix_contract_check_due", table_name="contract")
    op.drop_table("contract")
    op.rename_table("contract_rekeyed", "contract")
    op.create_index("ix_contract_check_due", "contract", ["check_due"])


def _first_episodes(conn) -> None:
    people = sa.table(
        "beneficiary",
        sa.column("id", sa.String),
        sa.column("registered_on", sa.Date),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("status", sa.String),
        sa.column("counsellor", sa.String),
        sa.column("referrer_type", sa.String),
        sa.column("referrer_organisation", sa.String),
    )
    moves = sa.table(
        "stage_transition",
        sa.column("id", sa.Integer),
        sa.column("beneficiary_id", sa.String),
        sa.column("kind", sa.String),
        sa.column("reason", sa.String),
        sa.column("at", sa.DateTime(timezone=True)),
    )
    episodes = sa.table(
        "episode",
        sa.column("beneficiary_id", sa.String),
        sa.column("number", sa.Integer),
        sa.column("started_on", sa.Date),
        sa.column("ended_on", sa.Date),
        sa.column("outcome", sa.String),
        sa.column("outcome_reason", sa.String),
        sa.column("referrer_type", sa.String),
        sa.column("referrer_organisation", sa.String),
        sa.column("opened_by", sa.String),
        sa.column("opened_at", sa.DateTime(timezone=True)),
    )
    # The last closing move of each person (by id: the order they were written in).
    closed = {}
    for row in conn.execute(
        sa.select(moves.c.beneficiary_id, moves.c.kind, moves.c.reason, moves.c.at)
        .where(moves.c.kind.in_(CLOSING))
        .order_by(moves.c.id)
    ):
        closed[row.beneficiary_id] = row
    rows = []
    for p in conn.execute(sa.select(people)):
        end = closed.get(p.id) if p.status in CLOSING else None
        rows.append(
            {
                "beneficiary_id": p.id,
                "number": 1,
                "started_on": p.registered_on,
                "ended_on": end.at.date() if end is not None else None,
                "outcome": end.kind if end is not None else None,
                "outcome_reason": end.reason if end is not None else None,
                "referrer_type": p.referrer_type,
                "referrer_organisation": p.referrer_organisation,
                "opened_by": p.counsellor or "intake",
                "opened_at": p.created_at,
            }
        )
    for start in range(0, len(rows), BATCH):  # executemany in batches: bounded memory for the parameters
        conn.execute(episodes.insert(), rows[start : start + BATCH])


def downgrade() -> None:
    _contract_keyed_by(["beneficiary_id"])
    for table in ("plan_version", "stage_transition", "beneficiary"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("episode")
    op.drop_table("episode")
