"""Qualification and activity events → the portfolio's investment figures."""

from __future__ import annotations

from tread_reporting.portfolio.models import ActivityRecord, Qualification
from tread_reporting.projection.registry import Landing, Projection
from tread_reporting.projection.writes import Writes
from tread_shared.events.payloads.accounts import (
    AccountQualified,
    ActivityDeleted,
    ActivityEvent,
    ActivityLogged,
    ActivityUpdated,
)

projection = Projection()


@projection.on(AccountQualified)
def qualification(payload: AccountQualified, _at: Landing, writes: Writes) -> None:
    planned = payload.qualification
    writes.upsert_newer(
        Qualification,
        {
            "account_id": payload.account.account_id,
            "version": payload.account.version,
            "quadrant": planned.quadrant,
            "annual_volume_units": planned.annual_volume_units,
            "visits_per_year": planned.visits_per_year,
            "hours_per_year": planned.hours_per_year,
            "budget": planned.budget.amount,
            "budget_currency": planned.budget.currency,
            "qualified_at": payload.account.updated_at,
        },
    )


@projection.on(ActivityLogged, ActivityUpdated, ActivityDeleted)
def activity(payload: ActivityEvent, _at: Landing, writes: Writes) -> None:
    done = payload.activity
    writes.upsert_newer(
        ActivityRecord,
        {
            "activity_id": done.activity_id,
            "version": done.version,
            "account_id": done.account_id,
            "type": done.type,
            "started_at": done.started_at,
            "duration_minutes": done.duration_minutes,
            "cost": done.cost.amount if done.cost else None,
            "cost_currency": done.cost.currency if done.cost else None,
            "performed_by": done.performed_by,
            # Kept out of the investment like a removed activity: one still planned, or missed.
            "deleted": isinstance(payload, ActivityDeleted) or done.status != "done",
        },
    )
