"""Accounts, dealer groups and the history of who held each account.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 02:51:17.379259
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("legal_id", sa.String(length=100), nullable=True),
        sa.Column("erp_customer_id", sa.String(length=100), nullable=True),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("key_account_manager_id", sa.String(length=200), nullable=True),
        sa.Column("own_key_account_manager_id", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("segment", sa.String(length=100), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("addresses", sa.JSON(), nullable=False),
        sa.Column("quadrant", sa.String(length=30), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["accounts.id"], name=op.f("fk_accounts_parent_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_index(
        "ix_accounts_key_account_manager_id_id",
        "accounts",
        ["key_account_manager_id", "id"],
        unique=False,
    )
    op.create_index("ix_accounts_owner_id_id", "accounts", ["owner_id", "id"], unique=False)
    op.create_index(op.f("ix_accounts_parent_id"), "accounts", ["parent_id"], unique=False)
    op.create_index("ix_accounts_territory_id", "accounts", ["territory", "id"], unique=False)
    op.create_index(op.f("ix_accounts_updated_at"), "accounts", ["updated_at"], unique=False)
    op.create_index(
        "uq_accounts_erp_customer_id",
        "accounts",
        ["erp_customer_id"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )

    op.create_table(
        "account_assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("previous_owner_id", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("previous_territory", sa.String(length=100), nullable=False),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("previous_key_account_manager_id", sa.String(length=200), nullable=True),
        sa.Column("key_account_manager_id", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_assignments_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_assignments")),
    )
    op.create_index(
        op.f("ix_account_assignments_account_id"),
        "account_assignments",
        ["account_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_account_assignments_changed_at"),
        "account_assignments",
        ["changed_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_account_assignments_previous_owner_id"),
        "account_assignments",
        ["previous_owner_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_account_assignments_previous_owner_id"), table_name="account_assignments"
    )
    op.drop_index(op.f("ix_account_assignments_changed_at"), table_name="account_assignments")
    op.drop_index(op.f("ix_account_assignments_account_id"), table_name="account_assignments")

    op.drop_table("account_assignments")
    op.drop_index(
        "uq_accounts_erp_customer_id",
        table_name="accounts",
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index(op.f("ix_accounts_updated_at"), table_name="accounts")
    op.drop_index("ix_accounts_territory_id", table_name="accounts")
    op.drop_index(op.f("ix_accounts_parent_id"), table_name="accounts")
    op.drop_index("ix_accounts_owner_id_id", table_name="accounts")
    op.drop_index("ix_accounts_key_account_manager_id_id", table_name="accounts")

    op.drop_table("accounts")
