"""An audit without a contract: a pre-partnership audit of a program tier, to decide a
partnership.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 03:16:38.002427
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audits", schema=None) as batch_op:
        batch_op.alter_column("contract_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    # Pre-partnership audits have no place once every audit needs a contract.
    op.execute(
        "DELETE FROM audit_scores"
        " WHERE audit_id IN (SELECT id FROM audits WHERE contract_id IS NULL)"
    )
    op.execute("DELETE FROM audits WHERE contract_id IS NULL")
    with op.batch_alter_table("audits", schema=None) as batch_op:
        batch_op.alter_column("contract_id", existing_type=sa.Uuid(), nullable=False)
