"""The service's scheduled work: expiring offers, bringing scheduled contracts into force on their
start date (a renewal takes over from the contract it renews), expiring contracts, renewal-due
notices, the compliance that time alone changes, and the rebate of each period over and judged.
Each step is safe with several replicas (see ``jobs``)."""

from __future__ import annotations

from datetime import date

from tread_contracts.compliance.policy import CompliancePolicy
from tread_contracts.compliance.service import reevaluate_active_contracts
from tread_contracts.contracts.service import (
    activate_scheduled_contracts,
    expire_ended_contracts,
    notify_renewals_due,
)
from tread_contracts.offers.service import expire_lapsed_offers
from tread_contracts.rebates.service import settle_ended_contracts
from tread_contracts.settings import Settings
from tread_shared.app import ServiceRuntime
from tread_shared.clock import utcnow
from tread_shared.scheduling import ScheduledJob


async def run_daily_work(runtime: ServiceRuntime, today: date | None = None) -> dict[str, int]:
    """One pass of every scheduled step, as of ``today`` (the real today unless given); how
    many items each changed."""
    settings = runtime.settings
    assert isinstance(settings, Settings)
    db, outbox, today = runtime.db, runtime.outbox, today or utcnow().date()
    policy = CompliancePolicy.of(settings)
    return {
        "offers_expired": await expire_lapsed_offers(db, outbox, today),
        # Before expiry: a contract whose renewal takes over today becomes renewed, not expired.
        "contracts_activated": await activate_scheduled_contracts(db, outbox, today, policy),
        "contracts_expired": await expire_ended_contracts(db, outbox, today),
        "renewal_notices": await notify_renewals_due(
            db, outbox, today, settings.renewal_notice_days
        ),
        "compliance_changes": await reevaluate_active_contracts(db, outbox, today, policy),
        # After expiry, so that a contract ended yesterday is settled as expired.
        "rebates_earned": await settle_ended_contracts(db, outbox, today, policy),
    }


def scheduled_jobs(settings: Settings) -> list[ScheduledJob]:
    if not settings.schedule_enabled:
        return []
    return [
        ScheduledJob(
            name="contracts-daily",
            interval_seconds=settings.schedule_interval_seconds,
            run=run_daily_work,
            first_delay_seconds=settings.schedule_first_delay_seconds,
        )
    ]
