"""Audits without a contract in the read model: pre-partnership audits (audit.completed v2).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 03:43:15.497576
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rm_audits", schema=None) as batch_op:
        batch_op.alter_column("contract_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    # The read model is rebuilt from the stream: pre-partnership audits can go.
    op.execute("DELETE FROM rm_audits WHERE contract_id IS NULL")
    with op.batch_alter_table("rm_audits", schema=None) as batch_op:
        batch_op.alter_column("contract_id", existing_type=sa.Uuid(), nullable=False)
