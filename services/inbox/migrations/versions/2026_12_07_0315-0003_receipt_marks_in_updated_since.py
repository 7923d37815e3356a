"""A receipt's last mark (read or done) has a time, so that ``updated_since`` lists it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 03:15:31.231455
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("item_receipt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", UTCDateTime, nullable=True))
    # Receipts made before: their last mark is the later of the two.
    op.execute("UPDATE item_receipt SET updated_at = COALESCE(done_at, read_at)")
    with op.batch_alter_table("item_receipt", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=UTCDateTime, nullable=False)
        batch_op.create_index(
            "ix_item_receipt_user_updated", ["user_id", "updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("item_receipt", schema=None) as batch_op:
        batch_op.drop_index("ix_item_receipt_user_updated")
        batch_op.drop_column("updated_at")
