"""Billing and credit: last known financials, webhook receipts, monthly sell-in.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 03:13:07.947672
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_receipts",
        sa.Column("system", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("system", "event_id", name=op.f("pk_webhook_receipts")),
    )
    op.create_table(
        "account_financials",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("credit", sa.JSON(), nullable=True),
        sa.Column("credit_as_of", UTCDateTime(), nullable=True),
        sa.Column("open_invoices", sa.JSON(), nullable=True),
        sa.Column("open_invoices_as_of", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_financials_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_financials")),
    )
    op.create_table(
        "sell_in_volumes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("product_line", sa.String(length=100), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("source_event_id", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sell_in_volumes_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sell_in_volumes")),
        sa.UniqueConstraint(
            "account_id", "month", "product_line", name=op.f("uq_sell_in_volumes_account_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("sell_in_volumes")
    op.drop_table("account_financials")
    op.drop_table("webhook_receipts")
