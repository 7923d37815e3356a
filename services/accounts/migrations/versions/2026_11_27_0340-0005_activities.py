"""Activities with accounts: visits, calls, trainings, meetings, e-mails and their cost.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 02:58:16.149194
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("cost_amount", ExactDecimal(), nullable=True),
        sa.Column("cost_currency", sa.String(length=3), nullable=True),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("follow_ups", sa.JSON(), nullable=False),
        sa.Column("performed_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_activities_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    op.create_index(
        "ix_activities_account_id_started_at",
        "activities",
        ["account_id", "started_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_activities_performed_by"), "activities", ["performed_by"], unique=False
    )
    op.create_index(op.f("ix_activities_updated_at"), "activities", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_activities_updated_at"), table_name="activities")
    op.drop_index(op.f("ix_activities_performed_by"), table_name="activities")
    op.drop_index("ix_activities_account_id_started_at", table_name="activities")

    op.drop_table("activities")
