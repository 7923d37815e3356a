"""Qualifications: expected result against planned investment, and the quadrant.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 02:56:40.921877
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "qualifications",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("annual_volume_units", sa.Integer(), nullable=False),
        sa.Column(
            "margin_potential_amount",
            ExactDecimal(),
            nullable=False,
        ),
        sa.Column("margin_potential_currency", sa.String(length=3), nullable=False),
        sa.Column("visits_per_year", sa.Integer(), nullable=False),
        sa.Column("hours_per_year", sa.Integer(), nullable=False),
        sa.Column(
            "budget_amount",
            ExactDecimal(),
            nullable=False,
        ),
        sa.Column("budget_currency", sa.String(length=3), nullable=False),
        sa.Column("quadrant", sa.String(length=30), nullable=False),
        sa.Column("high_result", sa.Boolean(), nullable=False),
        sa.Column("high_investment", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("qualified_by", sa.String(length=200), nullable=False),
        sa.Column("qualified_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_qualifications_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualifications")),
        sa.UniqueConstraint("account_id", name=op.f("uq_qualifications_account_id")),
    )
    op.create_index(
        op.f("ix_qualifications_quadrant"), "qualifications", ["quadrant"], unique=False
    )
    op.create_index(
        op.f("ix_qualifications_updated_at"), "qualifications", ["updated_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_qualifications_updated_at"), table_name="qualifications")
    op.drop_index(op.f("ix_qualifications_quadrant"), table_name="qualifications")

    op.drop_table("qualifications")
