"""The depot test schema: platform tables, the stock a producer changes and the ledger a
consumer keeps from its events.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.migrations import create_platform_tables, drop_platform_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_platform_tables(op.get_bind())
    op.create_table(
        "depot_stock",
        sa.Column("sku", sa.String(50), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("counts", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("sku", name="pk_depot_stock"),
    )
    op.create_table(
        "stock_ledger",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("sku", sa.String(50), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("stream_seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stock_ledger"),
    )


def downgrade() -> None:
    op.drop_table("stock_ledger")
    op.drop_table("depot_stock")
    drop_platform_tables(op.get_bind())
