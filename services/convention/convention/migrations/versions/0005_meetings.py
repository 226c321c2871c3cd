"""Meetings with partner organisations (the CLAIS forum): agenda, projects, invitations, minutes, corrections.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

from kit import corrections

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("starts_at", sa.String(5), nullable=True),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("agenda", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("attendance", sa.JSON, nullable=True),
        sa.Column("staff_present", sa.JSON, nullable=True),
        sa.Column("decisions", sa.JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(100), nullable=True),
    )
    op.create_index("ix_meeting_held_on", "meeting", ["held_on"])
    op.create_index("ix_meeting_status", "meeting", ["status"])
    op.create_table(
        "meeting_project",
        sa.Column("meeting_id", sa.String(36), sa.ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("project_id", sa.String(36), sa.ForeignKey("project.id"), primary_key=True),
    )
    op.create_index("ix_meeting_project_project_id", "meeting_project", ["project_id"])
    op.create_table(
        "meeting_partner",
        sa.Column("meeting_id", sa.String(36), sa.ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("partner_id", sa.String(36), primary_key=True),
        sa.Column("partner_type", sa.String(40), nullable=True),
    )
    op.create_index("ix_meeting_partner_partner_id", "meeting_partner", ["partner_id"])
    corrections.create_table_v1(op)


def downgrade() -> None:
    op.drop_table("correction")
    op.drop_table("meeting_partner")
    op.drop_table("meeting_project")
    op.drop_table("meeting")
