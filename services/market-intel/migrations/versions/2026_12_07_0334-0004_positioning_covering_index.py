"""Price positioning reads its rows from the index alone on PostgreSQL (INCLUDE columns);
SQLite keeps the same index without them (it has no INCLUDE).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 03:34:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INCLUDED = ["kind", "deleted_at", "competitor", "price_amount", "currency", "outlier"]


def upgrade() -> None:
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index("ix_observations_positioning")
        batch_op.create_index(
            "ix_observations_positioning",
            ["product_code", "territory", "observed_at"],
            unique=False,
            postgresql_include=INCLUDED,
        )


def downgrade() -> None:
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index("ix_observations_positioning")
        batch_op.create_index(
            "ix_observations_positioning",
            ["product_code", "territory", "observed_at"],
            unique=False,
        )
