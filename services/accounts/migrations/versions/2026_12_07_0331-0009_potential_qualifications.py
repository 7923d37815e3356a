"""Qualifications on potential against current result, kept for their history, with the
service level recommended, the investment planned and the district manager's decision.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 03:31:52.617366
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "potential_qualifications",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("segment", sa.String(length=100), nullable=False),
        sa.Column("estimated_purchases_units", sa.Integer(), nullable=False),
        sa.Column(
            "target_share_pct",
            ExactDecimal(precision=20, scale=4),
            nullable=False,
        ),
        sa.Column("potential_units", sa.Integer(), nullable=False),
        sa.Column("sell_in_from", sa.String(length=7), nullable=False),
        sa.Column("sell_in_to", sa.String(length=7), nullable=False),
        sa.Column("sell_in_units", sa.Integer(), nullable=False),
        sa.Column(
            "margin_amount",
            ExactDecimal(precision=20, scale=4),
            nullable=False,
        ),
        sa.Column("margin_currency", sa.String(length=3), nullable=False),
        sa.Column("high_potential", sa.Boolean(), nullable=False),
        sa.Column("high_result", sa.Boolean(), nullable=False),
        sa.Column("quadrant", sa.String(length=30), nullable=False),
        sa.Column("recommended_visits", sa.Integer(), nullable=False),
        sa.Column("recommended_hours", sa.Integer(), nullable=False),
        sa.Column(
            "recommended_budget",
            ExactDecimal(precision=20, scale=4),
            nullable=False,
        ),
        sa.Column("planned_visits", sa.Integer(), nullable=False),
        sa.Column("planned_hours", sa.Integer(), nullable=False),
        sa.Column(
            "planned_budget",
            ExactDecimal(precision=20, scale=4),
            nullable=False,
        ),
        sa.Column("budget_currency", sa.String(length=3), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("qualified_by", sa.String(length=200), nullable=False),
        sa.Column("qualified_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_potential_qualifications_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_potential_qualifications")),
    )
    with op.batch_alter_table("potential_qualifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_potential_qualifications_account", ["account_id", "qualified_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_potential_qualifications_updated_at"), ["updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("potential_qualifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_potential_qualifications_updated_at"))
        batch_op.drop_index("ix_potential_qualifications_account")

    op.drop_table("potential_qualifications")
