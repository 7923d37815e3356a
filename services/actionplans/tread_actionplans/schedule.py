"""The service's scheduled work: announcing corrective actions that passed their due date.
Safe with several replicas (each action in a transaction of its own, announced once)."""

from __future__ import annotations

from tread_actionplans.deviations.service import announce_overdue_actions
from tread_actionplans.settings import Settings
from tread_shared.app import ServiceRuntime
from tread_shared.clock import utcnow
from tread_shared.scheduling import ScheduledJob


async def run_daily_work(runtime: ServiceRuntime) -> dict[str, int]:
    """One pass of every scheduled step, as of today; how many items each changed."""
    today = utcnow().date()
    return {"overdue_actions": await announce_overdue_actions(runtime.db, runtime.outbox, today)}


def scheduled_jobs(settings: Settings) -> list[ScheduledJob]:
    if not settings.schedule_enabled:
        return []
    return [
        ScheduledJob(
            name="actionplans-daily",
            interval_seconds=settings.schedule_interval_seconds,
            run=run_daily_work,
            first_delay_seconds=settings.schedule_first_delay_seconds,
        )
    ]
