"""Item departures: an account that moved takes its items away from its former audience, who
are told to drop them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 03:18:20.774065
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_departure",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("key_account_manager_id", sa.String(length=200), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("departed_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_departure")),
    )
    with op.batch_alter_table("item_departure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_item_departure_departed_at"), ["departed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_item_departure_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_departure_position"), ["position"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_departure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_departure_position"))
        batch_op.drop_index(batch_op.f("ix_item_departure_item_id"))
        batch_op.drop_index(batch_op.f("ix_item_departure_departed_at"))

    op.drop_table("item_departure")
