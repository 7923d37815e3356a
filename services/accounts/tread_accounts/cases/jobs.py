"""The escalation of overdue cases, run periodically by every replica (safe: see
``repository.mark_overdue_escalated``)."""

from __future__ import annotations

from tread_accounts.cases.service import ESCALATION_BATCH, escalate_overdue_cases
from tread_accounts.settings import Settings
from tread_shared.app import ServiceRuntime
from tread_shared.scheduling import ScheduledJob


async def escalate_overdue(runtime: ServiceRuntime) -> int:
    total = 0
    while True:
        async with runtime.db.unit_of_work() as session:
            escalated = await escalate_overdue_cases(session, runtime.outbox)
        total += escalated
        if escalated < ESCALATION_BATCH:
            return total


def escalation_job(settings: Settings) -> ScheduledJob:
    return ScheduledJob(
        name="escalate-overdue-cases",
        interval_seconds=settings.case_escalation_interval_seconds,
        first_delay_seconds=settings.case_escalation_first_delay_seconds,
        run=escalate_overdue,
    )
