"""Indexes for the inbox page's paths: central's items and a territory's items, each newest
first (the others go through the recipient, the account and the directory's indexes).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 04:42:16.924817
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_item", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_item_central", ["for_central", "id"], unique=False)
        batch_op.create_index("ix_inbox_item_territory", ["territory", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbox_item", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_item_territory")
        batch_op.drop_index("ix_inbox_item_central")
