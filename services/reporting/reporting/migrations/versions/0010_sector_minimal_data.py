"""InterMire keeps only what its indicators need of the facts it logged before the sector contract was cut to them.

The Missions now send each sector fact with only the fields the catalogue needs (``catalogue.sector_needs``), and
no justice measure (no indicator names a legal basis for it). What InterMire logged before this revision still
holds the rest: each fact's stored data is cut to its type's needs as of this revision, the justice measure
leaves both the stored target groups and the coded ``groups`` mask, and the facts of types no indicator counts
(an employer registered, a vacancy updated or closed, a trainee enrolled or hired, a convention completed) are
deleted. The other coded columns are untouched, so every figure stays what it was, except InterMire's tables by
target group: no justice measure column any more, and a person whose only group it was counts under ``none``.

Not reversible: what is dropped is not kept anywhere (downgrade changes nothing).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

B, E, C = "be.mire.beneficiary.", "be.mire.employer.", "be.mire.convention."
# catalogue.sector_needs() as of this revision, less the pseudonym (a column of its own): written here, not
# imported, so that a later catalogue does not change what this revision did.
PERSON = {"pseudonym_key", "gender", "municipality", "age_band", "target_groups"}
NEEDS: dict[str, set[str]] = {
    B + "registered.v1": PERSON | {"registered_month"},
    B + "stage_changed.v1": PERSON | {"month"},
    B + "dropped_out.v1": PERSON | {"month"},
    B + "contract_signed.v1": PERSON | {"month"},
    B + "employment_confirmed_6m.v1": PERSON | {"month"},
    B + "employment_not_confirmed_6m.v1": PERSON | {"month"},
    B + "exited.v1": PERSON | {"month", "reason"},
    E + "vacancy_opened.v1": {"vacancy_id", "municipality", "month"},
    E + "vacancy_filled.v1": {"vacancy_id", "municipality", "month"},
    C + "signed.v1": {"convention_id", "month"},
    C + "commitment_evaluated.v1": {"convention_id", "month", "outcome"},
}
NOT_NEEDED = (
    E + "registered.v1",
    E + "vacancy_updated.v1",
    E + "vacancy_closed.v1",
    C + "trainee_enrolled.v1",
    C + "trainee_hired.v1",
    C + "completed.v1",
)
SIX_MONTHS = (B + "employment_confirmed_6m.v1", B + "employment_not_confirmed_6m.v1")
JUSTICE_MEASURE = "justice_measure"
JUSTICE_BIT = 1 << 6  # catalogue.TARGET_GROUPS.index("justice_measure")
PAGE = 2000


def _cut(event_type: str, data: dict) -> dict:
    needed = NEEDS[event_type]
    kept = {k: v for k, v in data.items() if k in needed}
    # The month the catalogue dates the fact by: the six-month outcomes by their check (their old ``month`` was
    # the signing's), any other by its own day where it had no month.
    day = data.get("checked_on") if event_type in SIX_MONTHS else None
    if "month" in needed and (day or "month" not in kept):
        day = day or data.get("on") or data.get("signed_on")
        if isinstance(day, str) and len(day) >= 7:
            kept["month"] = day[:7]
    if isinstance(kept.get("target_groups"), list):
        kept["target_groups"] = [g for g in kept["target_groups"] if g != JUSTICE_MEASURE]
    return kept


def upgrade() -> None:
    bind = op.get_bind()
    t = sa.table(
        "sector_fact",
        sa.column("event_id", sa.String),
        sa.column("type", sa.String),
        sa.column("data", sa.JSON),
        sa.column("groups", sa.Integer),
    )
    bind.execute(sa.delete(t).where(t.c.type.in_(NOT_NEEDED)))
    bind.execute(sa.update(t).where(t.c.groups.op("&")(JUSTICE_BIT) != 0).values(groups=t.c.groups - JUSTICE_BIT))
    # In pages by event id: a log of millions of facts is never held in memory at once.
    last = ""
    while True:
        rows = bind.execute(
            sa.select(t.c.event_id, t.c.type, t.c.data)
            .where(t.c.event_id > last, t.c.type.in_(list(NEEDS)))
            .order_by(t.c.event_id)
            .limit(PAGE)
        ).all()
        if not rows:
            break
        changed = [
            {"id": event_id, "cut": cut}
            for event_id, event_type, data in rows
            if isinstance(data, dict) and (cut := _cut(event_type, data)) != data
        ]
        if changed:
            bind.execute(
                sa.update(t).where(t.c.event_id == sa.bindparam("id")).values(data=sa.bindparam("cut")), changed
            )
        last = rows[-1][0]


def downgrade() -> None:
    pass  # what was dropped is gone (module docstring)
