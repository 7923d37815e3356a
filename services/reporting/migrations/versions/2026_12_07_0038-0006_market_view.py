"""The market view: observations, product ranges and positioning crossings from market-intel
events.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 00:38:53.750345
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Indices are ten-thousandths as integers (tread_reporting.columns.ScaledAmount).


def upgrade() -> None:
    op.create_table(
        "rm_market_observations",
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Uuid(), nullable=False),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("product_code", sa.String(length=60), nullable=True),
        sa.Column("competitor", sa.String(length=100), nullable=True),
        sa.Column("outlier", sa.Boolean(), nullable=False),
        sa.Column("observed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "generation", "observation_id", name=op.f("pk_rm_market_observations")
        ),
    )
    with op.batch_alter_table("rm_market_observations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rm_market_observations_seen",
            ["generation", "observed_at", "territory"],
            unique=False,
        )

    op.create_table(
        "rm_market_positioning",
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("product_code", sa.String(length=60), nullable=False),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
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
            name=op.f("pk_rm_market_positioning"),
        ),
    )
    op.create_table(
        "rm_market_products",
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("range", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("generation", "code", name=op.f("pk_rm_market_products")),
    )


def downgrade() -> None:
    op.drop_table("rm_market_products")
    op.drop_table("rm_market_positioning")
    with op.batch_alter_table("rm_market_observations", schema=None) as batch_op:
        batch_op.drop_index("ix_rm_market_observations_seen")

    op.drop_table("rm_market_observations")
