"""Every price-positioning crossing kept, dated, and when each observation was recorded: the
central report's market section as of a period's end.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 03:31:24.958171
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Indices are ten-thousandths as integers (tread_reporting.columns.ScaledAmount).


def upgrade() -> None:
    op.create_table(
        "rm_market_positioning_history",
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("product_code", sa.String(length=60), nullable=False),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("index", sa.BigInteger(), nullable=False),
        sa.Column("previous_index", sa.BigInteger(), nullable=True),
        sa.Column("band", sa.String(length=10), nullable=False),
        sa.Column("previous_band", sa.String(length=10), nullable=True),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "generation",
            "product_code",
            "territory",
            "month",
            "version",
            name=op.f("pk_rm_market_positioning_history"),
        ),
    )
    with op.batch_alter_table("rm_market_observations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rm_market_observations", schema=None) as batch_op:
        batch_op.drop_column("recorded_at")

    op.drop_table("rm_market_positioning_history")
