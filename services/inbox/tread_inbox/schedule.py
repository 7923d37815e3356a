"""The service's scheduled work: sending the recorded mails and deciding the daily digests;
forgetting the departures past the sync horizon and the settled decision progress. Safe with
several replicas (mails are claimed row by row, a day's digests are decided once, deleting the
same rows twice is harmless)."""

from __future__ import annotations

from tread_inbox.items.retention import forget_decision_progress, forget_departures
from tread_inbox.mail.sender import send_due_mails
from tread_inbox.mail.service import decide_digests
from tread_inbox.settings import Settings
from tread_shared.app import ServiceRuntime
from tread_shared.clock import utcnow
from tread_shared.scheduling import ScheduledJob


async def run_mail_work(runtime: ServiceRuntime) -> dict[str, int]:
    """One pass, as of now: the digests due, then every mail due."""
    settings = runtime.settings
    assert isinstance(settings, Settings)
    now = utcnow()
    digests = await decide_digests(runtime.db, now, settings.digest_hour_utc, settings.public_url)
    return {"digests": digests, **await send_due_mails(runtime.db, settings, now)}


async def run_retention(runtime: ServiceRuntime) -> dict[str, int]:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    now = utcnow()
    return {
        "departures": await forget_departures(runtime.db, settings, now),
        "decision_progress": await forget_decision_progress(runtime.db, settings, now),
    }


def scheduled_jobs(settings: Settings) -> list[ScheduledJob]:
    if not settings.schedule_enabled:
        return []
    return [
        ScheduledJob(
            name="inbox-mail",
            interval_seconds=settings.schedule_interval_seconds,
            run=run_mail_work,
            first_delay_seconds=settings.schedule_first_delay_seconds,
        ),
        ScheduledJob(
            name="inbox-retention",
            interval_seconds=settings.retention_interval_seconds,
            run=run_retention,
            first_delay_seconds=settings.schedule_first_delay_seconds,
        ),
    ]
