"""Initial schema: platform tables and the per-type event count read model.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.migrations import create_platform_tables, drop_platform_tables
from tread_shared.db.types import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_platform_tables(op.get_bind())
    op.create_table(
        "event_type_counts",
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_seen_at", UTCDateTime, nullable=False),
        sa.Column("last_event_at", UTCDateTime, nullable=False),
        sa.Column("last_stream_seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("type", name="pk_event_type_counts"),
    )


def downgrade() -> None:
    op.drop_table("event_type_counts")
    drop_platform_tables(op.get_bind())
