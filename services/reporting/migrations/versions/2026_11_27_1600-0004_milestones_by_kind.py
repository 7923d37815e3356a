"""Milestones found by kind: the central report's contracts activated, renewed, terminated or
expired before a date read only those milestones, not every milestone of every contract.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_rm_milestones_kind",
        "rm_milestones",
        ["generation", "entity", "milestone", "occurred_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_rm_milestones_kind", table_name="rm_milestones")
