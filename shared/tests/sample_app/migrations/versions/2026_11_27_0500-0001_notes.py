"""Platform tables and notes.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 05:00:00
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
        "notes",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("pinned", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("deleted_at", UTCDateTime, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notes"),
    )
    op.create_index("ix_notes_owner_id", "notes", ["owner", "id"])
    op.create_index("ix_notes_owner_updated_at", "notes", ["owner", "updated_at", "id"])


def downgrade() -> None:
    op.drop_table("notes")
    drop_platform_tables(op.get_bind())
