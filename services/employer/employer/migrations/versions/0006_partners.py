"""The partner directory (employer.partners): organisations, the municipalities they serve, their services
and each service's needs and target groups.

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
    op.create_table(
        "partner",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("enterprise_number", sa.String(10), nullable=True),
        sa.Column("partner_type", sa.String(30), nullable=False),
        sa.Column("municipalities", sa.JSON, nullable=False),
        sa.Column("contact", sa.JSON, nullable=False),
        sa.Column("published", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("shared_revision", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("search_name", sa.String(210), nullable=False, server_default=""),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    )
    op.create_index("ix_partner_name", "partner", ["name", "id"])
    op.create_index("ix_partner_partner_type", "partner", ["partner_type"])
    op.create_table(
        "partner_municipality",
        sa.Column("partner_id", sa.String(36), sa.ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("municipality", sa.String(5), primary_key=True),
    )
    op.create_index("ix_partner_municipality_municipality", "partner_municipality", ["municipality"])
    op.create_table(
        "partner_service",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("partner_id", sa.String(36), sa.ForeignKey("partner.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("needs", sa.JSON, nullable=False),
        sa.Column("target_groups", sa.JSON, nullable=False),
        sa.Column("conditions", sa.Text, nullable=True),
        sa.Column("contact", sa.JSON, nullable=False),
        sa.Column("opening_hours", sa.String(500), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(100), nullable=True),
    )
    op.create_index("ix_partner_service_partner_id", "partner_service", ["partner_id"])
    op.create_table(
        "partner_service_tag",
        sa.Column(
            "service_id", sa.String(36), sa.ForeignKey("partner_service.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("code", sa.String(30), primary_key=True),
    )
    op.create_index("ix_partner_service_tag_code", "partner_service_tag", ["kind", "code"])


def downgrade() -> None:
    op.drop_index("ix_partner_service_tag_code", table_name="partner_service_tag")
    op.drop_table("partner_service_tag")
    op.drop_index("ix_partner_service_partner_id", table_name="partner_service")
    op.drop_table("partner_service")
    op.drop_index("ix_partner_municipality_municipality", table_name="partner_municipality")
    op.drop_table("partner_municipality")
    op.drop_index("ix_partner_partner_type", table_name="partner")
    op.drop_index("ix_partner_name", table_name="partner")
    op.drop_table("partner")
