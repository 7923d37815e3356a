"""The scheduled job: each closed month's and quarter's report, produced once (whatever the
number of replicas: the period is unique among stored reports), compared with the same period a
year earlier, stored with its PDF, and announced with a ``central_report.produced`` event in the
same transaction."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tread_reporting.central import repository
from tread_reporting.central.models import CentralReport
from tread_reporting.central.pdf import render_pdf
from tread_reporting.central.schemas import CentralReportOut
from tread_reporting.central.service import a_year_before, central_report, with_year_earlier
from tread_reporting.event_counts.models import EventTypeCount
from tread_reporting.freshness.service import read_view
from tread_reporting.periods import Period
from tread_reporting.settings import Settings
from tread_shared.app import ServiceRuntime
from tread_shared.auth.principal import Principal, Role
from tread_shared.clock import utcnow
from tread_shared.db.reading import InSession
from tread_shared.events.payloads.reporting import CentralReportFigures, CentralReportProduced
from tread_shared.ids import new_id

log = logging.getLogger(__name__)

# The job reports on every account, as the central office sees them.
CENTRAL_OFFICE = Principal(sub="reporting", name="Tread reporting", roles=frozenset({Role.ADMIN}))


def closed_periods(now: datetime, grace: timedelta, months_back: int) -> list[Period]:
    """The months (``months_back`` of them) and quarters that closed at least ``grace`` ago,
    oldest first."""
    latest_open = Period.month_of((now - grace).date())
    months = [latest_open]
    for _ in range(months_back):
        months.append(months[-1].previous())
    months = months[1:]
    earliest = months[-1].start if months else latest_open.start
    quarters = []
    quarter = Period.quarter_of((now - grace).date()).previous()
    while quarter.end > earliest:
        quarters.append(quarter)
        quarter = quarter.previous()
    return sorted([*months, *quarters], key=lambda p: (p.end, p.kind == "quarter"))


def download_path(period: str) -> str:
    return f"/v1/reports/central/archive/{period}"


def figures_of(report: CentralReportOut) -> CentralReportFigures:
    return CentralReportFigures.model_validate(
        report.summary.model_dump(include=set(CentralReportFigures.model_fields))
    )


async def produce_closed_reports(runtime: ServiceRuntime, now: datetime | None = None) -> list[str]:
    """Produce the reports of closed periods not stored yet; the periods produced here."""
    settings = runtime.settings
    assert isinstance(settings, Settings)
    now = now or utcnow()
    async with runtime.db.unit_of_work() as session:
        done = await repository.stored_periods(session)
        view = await read_view(InSession(session))
        first_event = await session.scalar(
            select(func.min(EventTypeCount.first_seen_at)).where(
                EventTypeCount.generation == view.generation
            )
        )
    if first_event is None:
        return []
    produced = []
    grace = timedelta(minutes=settings.central_report_grace_minutes)
    for period in closed_periods(now, grace, settings.central_report_backfill_months):
        # Nothing had happened yet: no report of a period before the first event.
        if period.key in done or period.ends_at <= first_event:
            continue
        if await _produce(runtime, period, now):
            produced.append(period.key)
    return produced


async def _produce(runtime: ServiceRuntime, period: Period, now: datetime) -> bool:
    async with runtime.db.unit_of_work() as session:
        view = await read_view(InSession(session))
        report = await central_report(session, CENTRAL_OFFICE, view, period, now)
        earlier = await central_report(session, CENTRAL_OFFICE, view, a_year_before(period), now)
        with_year_earlier(report, earlier)
    pdf = await asyncio.to_thread(render_pdf, report)
    figures = figures_of(report)
    try:
        async with runtime.db.unit_of_work() as session:
            stored = CentralReport(
                id=new_id(),
                period=period.key,
                period_start=period.start,
                period_end=period.last_day,
                produced_at=now,
                produced_by=runtime.settings.instance_id,
                as_of_sequence=report.as_of.sequence,
                as_of_time=report.as_of.time,
                figures=figures.model_dump(mode="json"),
                content=report.model_dump(mode="json"),
                pdf=pdf,
            )
            session.add(stored)
            await runtime.outbox.add(
                session,
                CentralReportProduced(
                    report_id=stored.id,
                    period=period.key,
                    period_kind="month" if period.kind == "month" else "quarter",
                    period_start=period.start,
                    period_end=period.last_day,
                    produced_at=now,
                    as_of_sequence=report.as_of.sequence,
                    as_of_time=report.as_of.time,
                    figures=figures,
                    formats=["json", "csv", "pdf"],
                    download_path=download_path(period.key),
                ),
                subject=str(stored.id),
            )
    except IntegrityError:
        log.info("central report %s was produced by another replica", period.key)
        return False
    log.info("central report %s produced (as of event %d)", period.key, report.as_of.sequence)
    return True
