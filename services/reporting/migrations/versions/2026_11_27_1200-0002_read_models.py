"""Read models in generations: the generation pointer, the account directory, portfolio,
cases, partnerships, the customer's business, milestones, event counts per generation, and the
stored central-office reports.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNT_COLUMNS = ("type", "source", "count", "first_seen_at", "last_event_at", "last_stream_seq")


def _generation() -> sa.Column[int]:
    return sa.Column("generation", sa.Integer, nullable=False)


def _amount(name: str, nullable: bool = False) -> sa.Column[int]:
    # Ten-thousandths as integers (tread_reporting.columns.ScaledAmount).
    return sa.Column(name, sa.BigInteger, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "read_model_generations",
        sa.Column("generation", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("replayed_to", sa.BigInteger, nullable=False),
        sa.Column("applied_seq", sa.BigInteger, nullable=False),
        sa.Column("applied_time", UTCDateTime, nullable=True),
        sa.Column("events_replayed", sa.BigInteger, nullable=False),
        sa.Column("events_skipped", sa.BigInteger, nullable=False),
        sa.Column("replay_target_seq", sa.BigInteger, nullable=True),
        sa.Column("requested_by", sa.String(200), nullable=True),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.Column("lease_until", UTCDateTime, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("generation", name="pk_read_model_generations"),
    )
    op.create_table(
        "read_model_pointer",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("active_generation", sa.Integer, nullable=False),
        sa.Column("building_generation", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_read_model_pointer"),
    )
    # The first generation is what the live consumer has been filling all along.
    op.execute(
        "INSERT INTO read_model_generations (generation, state, replayed_to, applied_seq, "
        "events_replayed, events_skipped, started_at) "
        "VALUES (1, 'active', 0, 0, 0, 0, CURRENT_TIMESTAMP)"
    )
    op.execute("INSERT INTO read_model_pointer (id, active_generation) VALUES (1, 1)")

    counts = op.get_bind().execute(
        sa.text(f"SELECT {', '.join(COUNT_COLUMNS)} FROM event_type_counts")
    )
    kept = [dict(zip(COUNT_COLUMNS, row, strict=True)) for row in counts]
    op.drop_table("event_type_counts")
    op.create_table(
        "event_type_counts",
        _generation(),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_seen_at", UTCDateTime, nullable=False),
        sa.Column("last_event_at", UTCDateTime, nullable=False),
        sa.Column("last_stream_seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("generation", "type", name="pk_event_type_counts"),
    )
    if kept:
        untyped = sa.table(
            "event_type_counts", sa.column("generation"), *map(sa.column, COUNT_COLUMNS)
        )
        op.bulk_insert(untyped, [{"generation": 1, **row} for row in kept])

    op.create_table(
        "rm_accounts",
        _generation(),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("territory", sa.String(100), nullable=False),
        sa.Column("owner_id", sa.String(200), nullable=False),
        sa.Column("key_account_manager_id", sa.String(200), nullable=True),
        sa.Column("parent_id", sa.Uuid, nullable=True),
        sa.Column("segment", sa.String(100), nullable=True),
        sa.Column("erp_customer_id", sa.String(100), nullable=True),
        sa.Column("quadrant", sa.String(30), nullable=True),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("generation", "account_id", name="pk_rm_accounts"),
    )
    op.create_index("ix_rm_accounts_owner", "rm_accounts", ["generation", "owner_id"])
    op.create_index("ix_rm_accounts_territory", "rm_accounts", ["generation", "territory"])

    op.create_table(
        "rm_qualifications",
        _generation(),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("quadrant", sa.String(30), nullable=False),
        sa.Column("annual_volume_units", sa.Integer, nullable=False),
        sa.Column("visits_per_year", sa.Integer, nullable=False),
        sa.Column("hours_per_year", sa.Integer, nullable=False),
        _amount("budget"),
        sa.Column("budget_currency", sa.String(3), nullable=False),
        sa.Column("qualified_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("generation", "account_id", name="pk_rm_qualifications"),
    )

    op.create_table(
        "rm_activities",
        _generation(),
        sa.Column("activity_id", sa.Uuid, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("type", sa.String(30), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("duration_minutes", sa.Integer, nullable=False),
        _amount("cost", nullable=True),
        sa.Column("cost_currency", sa.String(3), nullable=True),
        sa.Column("performed_by", sa.String(200), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("generation", "activity_id", name="pk_rm_activities"),
    )
    op.create_index(
        "ix_rm_activities_account_started",
        "rm_activities",
        ["generation", "account_id", "started_at"],
    )
    op.create_index("ix_rm_activities_started", "rm_activities", ["generation", "started_at"])

    op.create_table(
        "rm_cases",
        _generation(),
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("assignee_id", sa.String(200), nullable=True),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("opened_at", UTCDateTime, nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("escalated_at", UTCDateTime, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("generation", "case_id", name="pk_rm_cases"),
    )
    op.create_index("ix_rm_cases_status", "rm_cases", ["generation", "status", "category"])
    op.create_index("ix_rm_cases_account", "rm_cases", ["generation", "account_id"])
    op.create_index("ix_rm_cases_opened", "rm_cases", ["generation", "opened_at"])

    op.create_table(
        "rm_milestones",
        _generation(),
        sa.Column("entity", sa.String(30), nullable=False),
        sa.Column("entity_id", sa.Uuid, nullable=False),
        sa.Column("milestone", sa.String(60), nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("account_id", sa.Uuid, nullable=False),
        _amount("amount", nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("detail", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint(
            "generation", "entity", "entity_id", "milestone", name="pk_rm_milestones"
        ),
    )
    op.create_index(
        "ix_rm_milestones_when", "rm_milestones", ["generation", "entity", "occurred_at"]
    )

    op.create_table(
        "rm_contracts",
        _generation(),
        sa.Column("contract_id", sa.Uuid, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("program_id", sa.Uuid, nullable=False),
        sa.Column("program_name", sa.String(300), nullable=False),
        sa.Column("program_version", sa.Integer, nullable=False),
        sa.Column("tier", sa.String(50), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("rank", sa.String(80), nullable=False),
        sa.Column("commitments", sa.JSON, nullable=False),
        sa.Column("signatures", sa.JSON, nullable=False),
        sa.Column("renews_contract_id", sa.Uuid, nullable=True),
        _amount("rebate_pct"),
        _amount("facilitation_budget"),
        sa.Column("facilitation_currency", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("generation", "contract_id", name="pk_rm_contracts"),
    )
    op.create_index(
        "ix_rm_contracts_account_rank", "rm_contracts", ["generation", "account_id", "rank"]
    )
    op.create_index(
        "ix_rm_contracts_status_end", "rm_contracts", ["generation", "status", "end_date"]
    )

    op.create_table(
        "rm_audits",
        _generation(),
        sa.Column("audit_id", sa.Uuid, nullable=False),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("contract_id", sa.Uuid, nullable=False),
        sa.Column("program_id", sa.Uuid, nullable=False),
        sa.Column("tier", sa.String(50), nullable=False),
        sa.Column("performed_at", UTCDateTime, nullable=False),
        sa.Column("auditor", sa.String(200), nullable=False),
        _amount("overall_score"),
        sa.Column("scores", sa.JSON, nullable=False),
        sa.Column("gaps", sa.JSON, nullable=False),
        sa.Column("gap_count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("generation", "audit_id", name="pk_rm_audits"),
    )
    op.create_index(
        "ix_rm_audits_account_performed", "rm_audits", ["generation", "account_id", "performed_at"]
    )
    op.create_index("ix_rm_audits_performed", "rm_audits", ["generation", "performed_at"])

    op.create_table(
        "rm_facilitations",
        _generation(),
        sa.Column("facilitation_id", sa.Uuid, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("guideline_id", sa.Uuid, nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("contract_id", sa.Uuid, nullable=True),
        sa.Column("tier", sa.String(50), nullable=True),
        sa.Column("year", sa.Integer, nullable=False),
        _amount("amount"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("generation", "facilitation_id", name="pk_rm_facilitations"),
    )
    op.create_index(
        "ix_rm_facilitations_account_year",
        "rm_facilitations",
        ["generation", "account_id", "year"],
    )

    op.create_table(
        "rm_compliance",
        _generation(),
        sa.Column("contract_id", sa.Uuid, nullable=False),
        sa.Column("stream_seq", sa.BigInteger, nullable=False),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("overall", sa.String(20), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("evaluated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("generation", "contract_id", name="pk_rm_compliance"),
    )

    op.create_table(
        "rm_sell_in",
        _generation(),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("product_line", sa.String(100), nullable=False),
        sa.Column("stream_seq", sa.BigInteger, nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
        _amount("amount", nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.PrimaryKeyConstraint(
            "generation", "account_id", "month", "product_line", name="pk_rm_sell_in"
        ),
    )
    op.create_index("ix_rm_sell_in_month", "rm_sell_in", ["generation", "month"])

    op.create_table(
        "rm_credit",
        _generation(),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("stream_seq", sa.BigInteger, nullable=False),
        sa.Column("blocked", sa.Boolean, nullable=False),
        _amount("credit_limit"),
        _amount("exposure"),
        _amount("overdue_amount", nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("as_of", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("generation", "account_id", name="pk_rm_credit"),
    )

    op.create_table(
        "central_reports",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("produced_at", UTCDateTime, nullable=False),
        sa.Column("produced_by", sa.String(100), nullable=False),
        sa.Column("as_of_sequence", sa.BigInteger, nullable=False),
        sa.Column("as_of_time", UTCDateTime, nullable=True),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_central_reports"),
        sa.UniqueConstraint("period", name="uq_central_reports_period"),
    )


def downgrade() -> None:
    for table in (
        "central_reports",
        "rm_credit",
        "rm_sell_in",
        "rm_compliance",
        "rm_facilitations",
        "rm_audits",
        "rm_contracts",
        "rm_milestones",
        "rm_cases",
        "rm_activities",
        "rm_qualifications",
        "rm_accounts",
    ):
        op.drop_table(table)
    bind = op.get_bind()
    counts = bind.execute(
        sa.text(
            f"SELECT {', '.join(COUNT_COLUMNS)} FROM event_type_counts "
            "WHERE generation = (SELECT active_generation FROM read_model_pointer WHERE id = 1)"
        )
    )
    kept = [dict(zip(COUNT_COLUMNS, row, strict=True)) for row in counts]
    op.drop_table("event_type_counts")
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
    if kept:
        op.bulk_insert(sa.table("event_type_counts", *map(sa.column, COUNT_COLUMNS)), kept)
    op.drop_table("read_model_pointer")
    op.drop_table("read_model_generations")
