"""Every state of action-plans entities and of cases, dated, so that the central report reads
them as of a period's end.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:12:20.425403
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Amounts are ten-thousandths as integers (tread_reporting.columns.ScaledAmount).


def upgrade() -> None:
    op.create_table(
        "rm_case_history",
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "generation", "case_id", "version", name=op.f("pk_rm_case_history")
        ),
    )
    with op.batch_alter_table("rm_case_history", schema=None) as batch_op:
        batch_op.create_index("ix_rm_case_history_when", ["generation", "updated_at"], unique=False)

    op.create_table(
        "rm_plan_history",
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("detail", sa.String(length=30), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("approved", sa.BigInteger(), nullable=True),
        sa.Column("committed", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint(
            "generation", "entity", "entity_id", "version", name=op.f("pk_rm_plan_history")
        ),
    )
    with op.batch_alter_table("rm_plan_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rm_plan_history_when", ["generation", "occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rm_plan_history", schema=None) as batch_op:
        batch_op.drop_index("ix_rm_plan_history_when")

    op.drop_table("rm_plan_history")
    with op.batch_alter_table("rm_case_history", schema=None) as batch_op:
        batch_op.drop_index("ix_rm_case_history_when")

    op.drop_table("rm_case_history")
