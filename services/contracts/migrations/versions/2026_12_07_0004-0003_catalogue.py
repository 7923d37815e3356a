"""The local copy of the market-intel catalogue (products and price-book entries), and the
catalogue's list price kept on an offer line that states another.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 00:04:01.187512
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import ExactDecimal

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalogue_prices",
        sa.Column("price_entry_id", sa.Uuid(), nullable=False),
        sa.Column("product_code", sa.String(length=60), nullable=False),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", ExactDecimal(precision=20, scale=4), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("entry_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("price_entry_id", name=op.f("pk_catalogue_prices")),
    )
    with op.batch_alter_table("catalogue_prices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalogue_prices_product_code"), ["product_code"], unique=False
        )

    op.create_table(
        "catalogue_products",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("product_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_catalogue_products")),
    )
    with op.batch_alter_table("offer_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "catalogue_list_price",
                ExactDecimal(precision=20, scale=4),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("offer_lines", schema=None) as batch_op:
        batch_op.drop_column("catalogue_list_price")

    op.drop_table("catalogue_products")
    with op.batch_alter_table("catalogue_prices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalogue_prices_product_code"))

    op.drop_table("catalogue_prices")
