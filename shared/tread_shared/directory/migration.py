"""The ``account_directory`` table for a service's Alembic migration."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import UTCDateTime


def create_account_directory_table() -> None:
    op.create_table(
        "account_directory",
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("territory", sa.String(100), nullable=False),
        sa.Column("owner_id", sa.String(200), nullable=False),
        sa.Column("key_account_manager_id", sa.String(200), nullable=True),
        sa.Column("parent_id", sa.Uuid, nullable=True),
        sa.Column("segment", sa.String(100), nullable=True),
        sa.Column("erp_customer_id", sa.String(100), nullable=True),
        sa.Column("quadrant", sa.String(30), nullable=True),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_account_directory"),
    )
    for column in ("territory", "owner_id", "key_account_manager_id", "erp_customer_id"):
        op.create_index(f"ix_account_directory_{column}", "account_directory", [column])


def drop_account_directory_table() -> None:
    op.drop_table("account_directory")
