"""An account's partnership marked on its contract (``current``), for lists that join on it
rather than compare ranks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rm_contracts") as batch:
        batch.add_column(
            sa.Column("current", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE rm_contracts SET current = (rank = (SELECT max(other.rank) FROM rm_contracts other "
        "WHERE other.generation = rm_contracts.generation "
        "AND other.account_id = rm_contracts.account_id))"
    )
    with op.batch_alter_table("rm_contracts") as batch:
        batch.alter_column("current", server_default=None)
    op.drop_index("ix_rm_contracts_account_rank", table_name="rm_contracts")
    op.create_index(
        "ix_rm_contracts_account", "rm_contracts", ["generation", "account_id", "current"]
    )


def downgrade() -> None:
    op.drop_index("ix_rm_contracts_account", table_name="rm_contracts")
    op.create_index(
        "ix_rm_contracts_account_rank", "rm_contracts", ["generation", "account_id", "rank"]
    )
    with op.batch_alter_table("rm_contracts") as batch:
        batch.drop_column("current")
