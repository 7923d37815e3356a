"""Positioning bands remember when the index last crossed the band (what digests report).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 00:13:25.296322
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
    with op.batch_alter_table("positioning_bands", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crossed_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_positioning_bands_crossed_at"), ["crossed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("positioning_bands", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_positioning_bands_crossed_at"))
        batch_op.drop_column("crossed_at")
