"""The service's scheduled work: last week's digests, safe with several replicas (see
``digests.service``)."""

from __future__ import annotations

from tread_market_intel.digests.service import issue_weekly_digests
from tread_market_intel.settings import Settings
from tread_shared.app import ServiceRuntime
from tread_shared.clock import utcnow
from tread_shared.scheduling import ScheduledJob


async def issue_digests(runtime: ServiceRuntime) -> int:
    return await issue_weekly_digests(runtime.db, runtime.outbox, utcnow().date())


def scheduled_jobs(settings: Settings) -> list[ScheduledJob]:
    if not settings.digest_schedule_enabled:
        return []
    return [
        ScheduledJob(
            name="market-intel-digests",
            interval_seconds=settings.digest_interval_seconds,
            run=issue_digests,
            first_delay_seconds=settings.digest_first_delay_seconds,
        )
    ]
