"""Action plans: the account directory, plans, objectives, indicators and their periods,
measurements, deviations, corrective actions, resource requests and follow-up meetings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 23:49:11.571119
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
        "plans",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("territory", sa.String(length=100), nullable=True),
        sa.Column("owner_id", sa.String(length=200), nullable=True),
        sa.Column("stakeholders", sa.JSON(), nullable=False),
        sa.Column("budget_lines", sa.JSON(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reaudit_on", sa.Date(), nullable=True),
        sa.Column("contract_id", sa.Uuid(), nullable=True),
        sa.Column("audit_id", sa.Uuid(), nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=True),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("activated_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("audit_id", name=op.f("uq_plans_audit_id")),
    )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plans_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plans_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plans_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_plans_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plans_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_plans_territory"), ["territory"], unique=False)
        batch_op.create_index(batch_op.f("ix_plans_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "indicators",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("granularity", sa.String(length=10), nullable=False),
        sa.Column("baseline", ExactDecimal(), nullable=True),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("source_filter", sa.String(length=60), nullable=True),
        sa.Column("aggregation", sa.String(length=10), nullable=False),
        sa.Column("threshold_mode", sa.String(length=10), nullable=False),
        sa.Column("warning", ExactDecimal(), nullable=False),
        sa.Column("critical", ExactDecimal(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("forecast", sa.JSON(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_indicators_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sa.UniqueConstraint("plan_id", "code", name=op.f("uq_indicators_plan_id")),
    )
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicators_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_indicators_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_indicators_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "meetings",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("held_at", UTCDateTime(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=True),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("evaluations", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_meetings_plan_id_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetings_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meetings_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "resource_requests",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "approved_amount",
            ExactDecimal(),
            nullable=True,
        ),
        sa.Column("committed", ExactDecimal(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_resource_requests_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_requests")),
    )
    with op.batch_alter_table("resource_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_requests_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_requests_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_resource_requests_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "deviations",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("indicator_id", sa.Uuid(), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=True),
        sa.Column("contract_id", sa.Uuid(), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("cause", sa.String(length=30), nullable=True),
        sa.Column("analysis", sa.Text(), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicators.id"], name=op.f("fk_deviations_indicator_id_indicators")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_deviations_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deviations")),
    )
    with op.batch_alter_table("deviations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deviations_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deviations_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_deviations_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(
            "uq_deviations_indicator_period",
            ["indicator_id", "period"],
            unique=True,
            sqlite_where=sa.text("indicator_id IS NOT NULL"),
            postgresql_where=sa.text("indicator_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_deviations_plan_contract",
            ["plan_id", "contract_id"],
            unique=True,
            sqlite_where=sa.text("contract_id IS NOT NULL"),
            postgresql_where=sa.text("contract_id IS NOT NULL"),
        )

    op.create_table(
        "indicator_periods",
        sa.Column("indicator_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("actual", ExactDecimal(), nullable=False),
        sa.Column("measurements", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_indicator_periods_indicator_id_indicators"),
        ),
        sa.PrimaryKeyConstraint("indicator_id", "period", name=op.f("pk_indicator_periods")),
    )
    op.create_table(
        "measurements",
        sa.Column("indicator_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=True),
        sa.Column("source_event_id", sa.String(length=200), nullable=True),
        sa.Column("source_version", sa.Integer(), nullable=True),
        sa.Column("measured_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_measurements_indicator_id_indicators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurements")),
        sa.UniqueConstraint(
            "indicator_id", "source_key", name=op.f("uq_measurements_indicator_id")
        ),
    )
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_measurements_indicator_period", ["indicator_id", "period"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_measurements_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "objectives",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("indicator_id", sa.Uuid(), nullable=True),
        sa.Column("baseline", ExactDecimal(), nullable=True),
        sa.Column("target", ExactDecimal(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("scale_min", sa.Integer(), nullable=True),
        sa.Column("scale_max", sa.Integer(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("last_score", ExactDecimal(), nullable=True),
        sa.Column("last_comment", sa.Text(), nullable=True),
        sa.Column("evaluated_at", UTCDateTime(), nullable=True),
        sa.Column("evaluated_by", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicators.id"], name=op.f("fk_objectives_indicator_id_indicators")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_objectives_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objectives")),
    )
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objectives_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_objectives_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "corrective_actions",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("deviation_id", sa.Uuid(), nullable=True),
        sa.Column("meeting_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("budget", ExactDecimal(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("expected_effect", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("completed_by", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("overdue_noticed_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deviation_id"],
            ["deviations.id"],
            name=op.f("fk_corrective_actions_deviation_id_deviations"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_corrective_actions_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrective_actions")),
    )
    with op.batch_alter_table("corrective_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_corrective_actions_deviation_id"), ["deviation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_corrective_actions_due_on"), ["due_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_corrective_actions_plan_id"), ["plan_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_corrective_actions_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_corrective_actions_updated_at"), ["updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("corrective_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corrective_actions_updated_at"))
        batch_op.drop_index(batch_op.f("ix_corrective_actions_status"))
        batch_op.drop_index(batch_op.f("ix_corrective_actions_plan_id"))
        batch_op.drop_index(batch_op.f("ix_corrective_actions_due_on"))
        batch_op.drop_index(batch_op.f("ix_corrective_actions_deviation_id"))

    op.drop_table("corrective_actions")
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objectives_updated_at"))
        batch_op.drop_index(batch_op.f("ix_objectives_plan_id"))

    op.drop_table("objectives")
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measurements_updated_at"))
        batch_op.drop_index("ix_measurements_indicator_period")

    op.drop_table("measurements")
    op.drop_table("indicator_periods")
    with op.batch_alter_table("deviations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_deviations_plan_contract",
            sqlite_where=sa.text("contract_id IS NOT NULL"),
            postgresql_where=sa.text("contract_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_deviations_indicator_period",
            sqlite_where=sa.text("indicator_id IS NOT NULL"),
            postgresql_where=sa.text("indicator_id IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_deviations_updated_at"))
        batch_op.drop_index(batch_op.f("ix_deviations_status"))
        batch_op.drop_index(batch_op.f("ix_deviations_plan_id"))

    op.drop_table("deviations")
    with op.batch_alter_table("resource_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_requests_updated_at"))
        batch_op.drop_index(batch_op.f("ix_resource_requests_status"))
        batch_op.drop_index(batch_op.f("ix_resource_requests_plan_id"))

    op.drop_table("resource_requests")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetings_updated_at"))
        batch_op.drop_index(batch_op.f("ix_meetings_plan_id"))

    op.drop_table("meetings")
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicators_updated_at"))
        batch_op.drop_index(batch_op.f("ix_indicators_plan_id"))
        batch_op.drop_index(batch_op.f("ix_indicators_account_id"))

    op.drop_table("indicators")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plans_updated_at"))
        batch_op.drop_index(batch_op.f("ix_plans_territory"))
        batch_op.drop_index(batch_op.f("ix_plans_status"))
        batch_op.drop_index(batch_op.f("ix_plans_owner_id"))
        batch_op.drop_index(batch_op.f("ix_plans_kind"))
        batch_op.drop_index(batch_op.f("ix_plans_contract_id"))
        batch_op.drop_index(batch_op.f("ix_plans_account_id"))

    op.drop_table("plans")
    drop_account_directory_table()
