"""Decision progress: the latest step of each resource waiting for decisions, which orders the
events of the resource that arrive late (the inbox's one order rule for decision items).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 04:12:33.456990
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_progress",
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("stepped_at", UTCDateTime, nullable=False),
        sa.Column("stepped_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("resource_type", "resource_id", name=op.f("pk_decision_progress")),
    )


def downgrade() -> None:
    op.drop_table("decision_progress")
