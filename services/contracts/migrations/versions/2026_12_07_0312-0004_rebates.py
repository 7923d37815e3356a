"""The rebate each contract earned for its period (settled once), and the invoiced value of
sell-in that rebates are paid on.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 03:12:24.780976
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
        "earned_rebates",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("tier_reached", sa.String(length=40), nullable=True),
        sa.Column("rebate_pct", ExactDecimal(precision=20, scale=4), nullable=False),
        sa.Column("compliance", sa.String(length=20), nullable=False),
        sa.Column("sell_in_units", sa.Integer(), nullable=False),
        sa.Column("amounts", sa.JSON(), nullable=False),
        sa.Column("judged_on", sa.Date(), nullable=False),
        sa.Column("computed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_earned_rebates_contract_id_contracts")
        ),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("pk_earned_rebates")),
    )
    with op.batch_alter_table("earned_rebates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_earned_rebates_account_id"), ["account_id"], unique=False
        )

    with op.batch_alter_table("sell_in_volumes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amount", ExactDecimal(precision=20, scale=4), nullable=True))
        batch_op.add_column(sa.Column("currency", sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sell_in_volumes", schema=None) as batch_op:
        batch_op.drop_column("currency")
        batch_op.drop_column("amount")

    with op.batch_alter_table("earned_rebates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_earned_rebates_account_id"))

    op.drop_table("earned_rebates")
