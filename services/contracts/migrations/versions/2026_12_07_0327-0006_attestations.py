"""Attestations: evidence, who attested and when, on a contract's named requirements (a
tier's other requirements, the contract's other commitments), counted in compliance.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 03:27:33.410258
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import ExactDecimal, UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attestations",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("requirement", sa.String(length=200), nullable=False),
        sa.Column("value", ExactDecimal(precision=20, scale=4), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("evidence_url", sa.String(length=2000), nullable=True),
        sa.Column("attested_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("attested_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_attestations_contract_id_contracts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attestations")),
    )
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attestations_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_attestations_contract_requirement", ["contract_id", "requirement"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_attestations_updated_at"), ["updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attestations_updated_at"))
        batch_op.drop_index("ix_attestations_contract_requirement")
        batch_op.drop_index(batch_op.f("ix_attestations_account_id"))

    op.drop_table("attestations")
