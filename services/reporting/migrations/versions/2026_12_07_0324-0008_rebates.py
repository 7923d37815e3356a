"""The rebates each account's contracts earned (rebate.earned), for the partnership view.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 03:24:02.306333
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Amounts are ten-thousandths as integers (tread_reporting.columns.ScaledAmount).
revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rm_rebates",
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("tier", sa.String(length=50), nullable=False),
        sa.Column("tier_reached", sa.String(length=50), nullable=True),
        sa.Column("rebate_pct", sa.BigInteger(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("compliance", sa.String(length=20), nullable=False),
        sa.Column("sell_in_units", sa.Integer(), nullable=False),
        sa.Column("amounts", sa.JSON(), nullable=False),
        sa.Column("judged_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("generation", "contract_id", name=op.f("pk_rm_rebates")),
    )
    with op.batch_alter_table("rm_rebates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rm_rebates_account", ["generation", "account_id", "period_end"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rm_rebates", schema=None) as batch_op:
        batch_op.drop_index("ix_rm_rebates_account")

    op.drop_table("rm_rebates")
