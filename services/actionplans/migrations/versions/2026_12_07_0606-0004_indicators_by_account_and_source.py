"""Indicators by account and source: an event finds the indicators it feeds from the index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 06:06:07.187954
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicators_account_id"))
        batch_op.create_index(
            "ix_indicators_account_source", ["account_id", "source"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_index("ix_indicators_account_source")
        batch_op.create_index(batch_op.f("ix_indicators_account_id"), ["account_id"], unique=False)
