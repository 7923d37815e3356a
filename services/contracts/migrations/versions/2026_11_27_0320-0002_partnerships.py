"""Partnerships: the account directory, programs and their versions, offers, contracts,
signatures, renewal notices, audits, facilitations, sell-in and compliance snapshots.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import ExactDecimal, UTCDateTime
from tread_shared.directory.migration import (
    create_account_directory_table,
    drop_account_directory_table,
)

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_account_directory_table()
    op.create_table(
        "offers",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("current_revision", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejection_stage", sa.String(length=20), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
    )
    op.create_index(op.f("ix_offers_account_id"), "offers", ["account_id"], unique=False)
    op.create_index(op.f("ix_offers_status"), "offers", ["status"], unique=False)
    op.create_index(op.f("ix_offers_updated_at"), "offers", ["updated_at"], unique=False)
    op.create_table(
        "programs",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
        sa.UniqueConstraint("name", name=op.f("uq_programs_name")),
    )
    op.create_index(op.f("ix_programs_updated_at"), "programs", ["updated_at"], unique=False)
    op.create_table(
        "sell_in_volumes",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("product_line", sa.String(length=60), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("erp_customer_id", sa.String(length=100), nullable=True),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id", "period", "product_line", name=op.f("pk_sell_in_volumes")
        ),
    )
    op.create_table(
        "facilitation_guidelines",
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("eligible_tiers", sa.JSON(), nullable=False),
        sa.Column("eligible_segments", sa.JSON(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cap_amount", ExactDecimal(precision=20, scale=4), nullable=False),
        sa.Column(
            "approval_threshold_amount",
            ExactDecimal(precision=20, scale=4),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_facilitation_guidelines_program_id_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilitation_guidelines")),
    )
    op.create_index(
        op.f("ix_facilitation_guidelines_updated_at"),
        "facilitation_guidelines",
        ["updated_at"],
        unique=False,
    )
    op.create_table(
        "offer_revisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("requires_approval", sa.Boolean(), nullable=False),
        sa.Column(
            "discount_limit_pct",
            ExactDecimal(precision=20, scale=4),
            nullable=False,
        ),
        sa.Column("list_total", ExactDecimal(precision=20, scale=4), nullable=False),
        sa.Column("net_total", ExactDecimal(precision=20, scale=4), nullable=False),
        sa.Column(
            "max_discount_pct",
            ExactDecimal(precision=20, scale=4),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_offer_revisions_offer_id_offers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_revisions")),
        sa.UniqueConstraint("offer_id", "number", name=op.f("uq_offer_revisions_offer_id")),
    )
    op.create_table(
        "program_versions",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("published_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_program_versions_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("program_id", "number", name=op.f("pk_program_versions")),
    )
    op.create_table(
        "contracts",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("program_version", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("commitments", sa.JSON(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=True),
        sa.Column("offer_id", sa.Uuid(), nullable=True),
        sa.Column("renews_contract_id", sa.Uuid(), nullable=True),
        sa.Column("renewal_contract_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("activated_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=200), nullable=True),
        sa.Column("termination_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_contracts_offer_id_offers")
        ),
        sa.ForeignKeyConstraint(
            ["program_id", "program_version"],
            ["program_versions.program_id", "program_versions.number"],
            name=op.f("fk_contracts_program_id_program_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_contracts_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["renews_contract_id"],
            ["contracts.id"],
            name=op.f("fk_contracts_renews_contract_id_contracts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("offer_id", name=op.f("uq_contracts_offer_id")),
    )
    op.create_index(op.f("ix_contracts_account_id"), "contracts", ["account_id"], unique=False)
    op.create_index(op.f("ix_contracts_end_date"), "contracts", ["end_date"], unique=False)
    op.create_index(op.f("ix_contracts_status"), "contracts", ["status"], unique=False)
    op.create_index(op.f("ix_contracts_updated_at"), "contracts", ["updated_at"], unique=False)
    op.create_index(
        "uq_contracts_active_per_account_program",
        "contracts",
        ["account_id", "program_id"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "facilitation_budgets",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("guideline_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("requested", ExactDecimal(precision=20, scale=4), nullable=False),
        sa.Column("granted", ExactDecimal(precision=20, scale=4), nullable=False),
        sa.Column("spent", ExactDecimal(precision=20, scale=4), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["guideline_id"],
            ["facilitation_guidelines.id"],
            name=op.f("fk_facilitation_budgets_guideline_id_facilitation_guidelines"),
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "guideline_id", "year", name=op.f("pk_facilitation_budgets")
        ),
    )
    op.create_table(
        "offer_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("revision_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_code", sa.String(length=60), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("list_price", ExactDecimal(precision=20, scale=4), nullable=False),
        sa.Column(
            "discount_pct",
            ExactDecimal(precision=20, scale=4),
            nullable=False,
        ),
        sa.Column("net_amount", ExactDecimal(precision=20, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["offer_revisions.id"],
            name=op.f("fk_offer_lines_revision_id_offer_revisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_lines")),
    )
    op.create_index(
        op.f("ix_offer_lines_revision_id"), "offer_lines", ["revision_id"], unique=False
    )
    op.create_table(
        "audits",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("program_version", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("performed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("auditor", sa.String(length=200), nullable=False),
        sa.Column(
            "overall_score",
            ExactDecimal(precision=20, scale=4),
            nullable=False,
        ),
        sa.Column("gaps", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_audits_contract_id_contracts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audits")),
    )
    op.create_index(op.f("ix_audits_account_id"), "audits", ["account_id"], unique=False)
    op.create_index(op.f("ix_audits_contract_id"), "audits", ["contract_id"], unique=False)
    op.create_index(op.f("ix_audits_performed_at"), "audits", ["performed_at"], unique=False)
    op.create_index(op.f("ix_audits_updated_at"), "audits", ["updated_at"], unique=False)
    op.create_table(
        "compliance_snapshots",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("overall", sa.String(length=20), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("evaluated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_compliance_snapshots_contract_id_contracts"),
        ),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("pk_compliance_snapshots")),
    )
    op.create_table(
        "contract_renewal_notices",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("noticed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_renewal_notices_contract_id_contracts"),
        ),
        sa.PrimaryKeyConstraint(
            "contract_id", "window_days", name=op.f("pk_contract_renewal_notices")
        ),
    )
    op.create_table(
        "contract_signatures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("party", sa.String(length=20), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signer_role", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=50), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_signatures_contract_id_contracts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_signatures")),
        sa.UniqueConstraint(
            "contract_id", "party", name=op.f("uq_contract_signatures_contract_id")
        ),
    )
    op.create_table(
        "facilitations",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("guideline_id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=True),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", ExactDecimal(precision=20, scale=4), nullable=False),
        sa.Column(
            "spent_amount",
            ExactDecimal(precision=20, scale=4),
            nullable=False,
        ),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requires_approval", sa.Boolean(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_facilitations_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["guideline_id"],
            ["facilitation_guidelines.id"],
            name=op.f("fk_facilitations_guideline_id_facilitation_guidelines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilitations")),
    )
    op.create_index(
        op.f("ix_facilitations_account_id"), "facilitations", ["account_id"], unique=False
    )
    op.create_index(op.f("ix_facilitations_status"), "facilitations", ["status"], unique=False)
    op.create_index(
        op.f("ix_facilitations_updated_at"), "facilitations", ["updated_at"], unique=False
    )
    op.create_table(
        "audit_scores",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("audit_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=30), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("required", sa.Integer(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_id"], ["audits.id"], name=op.f("fk_audit_scores_audit_id_audits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_scores")),
    )
    op.create_index(op.f("ix_audit_scores_audit_id"), "audit_scores", ["audit_id"], unique=False)
    op.create_table(
        "facilitation_spendings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("facilitation_id", sa.Uuid(), nullable=False),
        sa.Column("amount", ExactDecimal(precision=20, scale=4), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["facilitation_id"],
            ["facilitations.id"],
            name=op.f("fk_facilitation_spendings_facilitation_id_facilitations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilitation_spendings")),
    )
    op.create_index(
        op.f("ix_facilitation_spendings_facilitation_id"),
        "facilitation_spendings",
        ["facilitation_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_facilitation_spendings_facilitation_id"), table_name="facilitation_spendings"
    )
    op.drop_table("facilitation_spendings")
    op.drop_index(op.f("ix_audit_scores_audit_id"), table_name="audit_scores")
    op.drop_table("audit_scores")
    op.drop_index(op.f("ix_facilitations_updated_at"), table_name="facilitations")
    op.drop_index(op.f("ix_facilitations_status"), table_name="facilitations")
    op.drop_index(op.f("ix_facilitations_account_id"), table_name="facilitations")
    op.drop_table("facilitations")
    op.drop_table("contract_signatures")
    op.drop_table("contract_renewal_notices")
    op.drop_table("compliance_snapshots")
    op.drop_index(op.f("ix_audits_updated_at"), table_name="audits")
    op.drop_index(op.f("ix_audits_performed_at"), table_name="audits")
    op.drop_index(op.f("ix_audits_contract_id"), table_name="audits")
    op.drop_index(op.f("ix_audits_account_id"), table_name="audits")
    op.drop_table("audits")
    op.drop_index(op.f("ix_offer_lines_revision_id"), table_name="offer_lines")
    op.drop_table("offer_lines")
    op.drop_table("facilitation_budgets")
    op.drop_index(
        "uq_contracts_active_per_account_program",
        table_name="contracts",
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_index(op.f("ix_contracts_updated_at"), table_name="contracts")
    op.drop_index(op.f("ix_contracts_status"), table_name="contracts")
    op.drop_index(op.f("ix_contracts_end_date"), table_name="contracts")
    op.drop_index(op.f("ix_contracts_account_id"), table_name="contracts")
    op.drop_table("contracts")
    op.drop_table("program_versions")
    op.drop_table("offer_revisions")
    op.drop_index(
        op.f("ix_facilitation_guidelines_updated_at"), table_name="facilitation_guidelines"
    )
    op.drop_table("facilitation_guidelines")
    op.drop_table("sell_in_volumes")
    op.drop_index(op.f("ix_programs_updated_at"), table_name="programs")
    op.drop_table("programs")
    op.drop_index(op.f("ix_offers_updated_at"), table_name="offers")
    op.drop_index(op.f("ix_offers_status"), table_name="offers")
    op.drop_index(op.f("ix_offers_account_id"), table_name="offers")
    op.drop_table("offers")
    drop_account_directory_table()
