"""The action-plans view: plans, indicators, deviations, corrective actions and resource
requests as their latest actionplans event described them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 00:29:56.763791
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Amounts are ten-thousandths as integers (tread_reporting.columns.ScaledAmount).


def upgrade() -> None:
    op.create_table(
        "rm_plan_actions",
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("generation", "action_id", name=op.f("pk_rm_plan_actions")),
    )
    op.create_table(
        "rm_plan_deviations",
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("deviation_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("cause", sa.String(length=30), nullable=True),
        sa.PrimaryKeyConstraint("generation", "deviation_id", name=op.f("pk_rm_plan_deviations")),
    )
    op.create_table(
        "rm_plan_indicators",
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("generation", "indicator_id", name=op.f("pk_rm_plan_indicators")),
    )
    op.create_table(
        "rm_plan_resources",
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approved", sa.BigInteger(), nullable=False),
        sa.Column("committed", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("generation", "request_id", name=op.f("pk_rm_plan_resources")),
    )
    op.create_table(
        "rm_plans",
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("generation", "plan_id", name=op.f("pk_rm_plans")),
    )


def downgrade() -> None:
    op.drop_table("rm_plans")
    op.drop_table("rm_plan_resources")
    op.drop_table("rm_plan_indicators")
    op.drop_table("rm_plan_deviations")
    op.drop_table("rm_plan_actions")
