"""Indicators and their measurements. A period's actual is kept in ``indicator_periods`` as
measurements change (a sum, or the latest value for scores), its status follows from the
thresholds, and the plan's deviations follow the status (see ``deviations.service``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.deviations.service import follow_period
from tread_actionplans.indicators import repository
from tread_actionplans.indicators.evaluation import period_status, target_of
from tread_actionplans.indicators.events import measurement_recorded
from tread_actionplans.indicators.facts import IndicatorRules, PeriodFigures
from tread_actionplans.indicators.models import Indicator, IndicatorPeriod, Measurement
from tread_actionplans.indicators.schemas import (
    IndicatorAmendIn,
    IndicatorIn,
    MeasurementIn,
    TargetIn,
    Thresholds,
)
from tread_actionplans.periods import granularity_of, overlaps
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.service import require_open
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.errors import Conflict, NotFound, Unprocessable
from tread_shared.events.emit import emit
from tread_shared.events.outbox import Outbox
from tread_shared.ids import new_id

# The unit an event-fed indicator counts in (facilitation spend: a currency code).
SOURCE_UNITS = {
    "sell_in": ("units",),
    "visits": ("visits",),
    "hours": ("hours",),
    "audit_score": ("points",),
}
FILTERED_SOURCES = ("sell_in", "audit_score")


def _check_periods(plan: Plan, granularity: str, targets: Sequence[TargetIn]) -> None:
    seen: set[str] = set()
    for item in targets:
        if granularity_of(item.period) != granularity:
            raise Unprocessable(
                f"The target period {item.period} is not a {granularity}.",
                slug="period-granularity",
            )
        if not overlaps(item.period, plan.start_date, plan.end_date):
            raise Unprocessable(
                f"The target period {item.period} lies outside the plan's period "
                f"{plan.start_date} - {plan.end_date}.",
                slug="period-outside-plan",
            )
        if item.period in seen:
            raise Unprocessable(f"Two targets for {item.period}.", slug="duplicate-period")
        seen.add(item.period)


def _check_thresholds(thresholds: Thresholds) -> None:
    if thresholds.mode == "percent" and thresholds.critical > 1000:
        raise Unprocessable(
            "A percentage threshold is at most 1000 % short of the target.",
            slug="invalid-threshold",
        )


def _check_source(plan: Plan, data: IndicatorIn) -> None:
    if data.source != "manual" and plan.account_id is None:
        raise Unprocessable(
            f"A {data.source} indicator measures one account: this plan has none.",
            slug="source-needs-account",
        )
    units = SOURCE_UNITS.get(data.source)
    if units is not None and data.unit not in units:
        raise Unprocessable(
            f"A {data.source} indicator counts in {units[0]}, not {data.unit}.",
            slug="unit-mismatch",
        )
    if data.source == "facilitation_spend" and not (
        len(data.unit) == 3 and data.unit.isalpha() and data.unit.isupper()
    ):
        raise Unprocessable(
            "A facilitation_spend indicator counts in a currency (CNY, EUR…).",
            slug="unit-mismatch",
        )
    if data.source_filter is not None and data.source not in FILTERED_SOURCES:
        raise Unprocessable(
            f"A {data.source} indicator takes no source_filter.", slug="invalid-source-filter"
        )
    if data.source == "audit_score" and data.aggregation == "sum":
        raise Unprocessable("Audit scores are not added up.", slug="invalid-aggregation")


def _targets(targets: Sequence[TargetIn]) -> dict[str, str]:
    return {item.period: str(item.target) for item in sorted(targets, key=lambda t: t.period)}


async def create_indicator(
    session: AsyncSession, principal: Principal, plan: Plan, data: IndicatorIn
) -> Indicator:
    require_open(plan, "adding an indicator")
    _check_periods(plan, data.granularity, data.targets)
    _check_thresholds(data.thresholds)
    _check_source(plan, data)
    if await repository.code_taken(session, plan.id, data.code):
        raise Conflict(
            f"Plan {plan.id} already has an indicator {data.code}.", slug="indicator-code-taken"
        )
    aggregation = data.aggregation or ("latest" if data.source == "audit_score" else "sum")
    indicator = Indicator(
        plan_id=plan.id,
        account_id=plan.account_id,
        code=data.code,
        name=data.name,
        unit=data.unit,
        direction=data.direction,
        granularity=data.granularity,
        baseline=data.baseline,
        source=data.source,
        source_filter=data.source_filter,
        aggregation=aggregation,
        threshold_mode=data.thresholds.mode,
        warning=data.thresholds.warning,
        critical=data.thresholds.critical,
        targets=_targets(data.targets),
    )
    session.add(indicator)
    await session.flush()
    return indicator


async def amend_indicator(
    session: AsyncSession, outbox: Outbox, plan: Plan, indicator: Indicator, data: IndicatorAmendIn
) -> Indicator:
    """New thresholds or a new target path re-evaluate every period measured so far."""
    require_open(plan, "changing an indicator")
    if data.name is not None:
        indicator.name = data.name
    if data.thresholds is not None:
        _check_thresholds(data.thresholds)
        indicator.threshold_mode = data.thresholds.mode
        indicator.warning = data.thresholds.warning
        indicator.critical = data.thresholds.critical
    if data.targets is not None:
        _check_periods(plan, indicator.granularity, data.targets)
        indicator.targets = _targets(data.targets)
    await session.flush()
    if data.thresholds is not None or data.targets is not None:
        rows = (await repository.periods_of(session, [indicator.id]))[indicator.id]
        for row in rows:
            await _reassess(session, outbox, plan, indicator, row)
    return indicator


async def _reassess(
    session: AsyncSession, outbox: Outbox, plan: Plan, indicator: Indicator, row: IndicatorPeriod
) -> None:
    row.status = period_status(indicator, row.actual, target_of(indicator, row.period))
    await follow_period(session, outbox, plan, indicator, row)


async def refresh_period(
    session: AsyncSession, outbox: Outbox, plan: Plan, indicator: Indicator, period: str
) -> IndicatorPeriod:
    """Recompute the period's actual and status from its live measurements."""
    await session.flush()
    values = await repository.live_values(session, indicator.id, period)
    row = await session.get(IndicatorPeriod, (indicator.id, period))
    if row is None:
        row = IndicatorPeriod(indicator_id=indicator.id, period=period)
        session.add(row)
    set_period_figures(indicator, row, [value for value, _ in values])
    await follow_period(session, outbox, plan, indicator, row)
    return row


def set_period_figures(
    indicator: IndicatorRules, row: IndicatorPeriod | PeriodFigures, values: list[Decimal]
) -> None:
    """The period's actual, count and status from its live values, oldest first: their sum,
    or the latest for scores."""
    if indicator.aggregation == "latest":
        actual = values[-1] if values else Decimal(0)
    else:
        actual = sum(values, Decimal(0))
    row.actual, row.measurements, row.updated_at = actual, len(values), utcnow()
    row.status = (
        period_status(indicator, actual, target_of(indicator, row.period)) if values else None
    )


@dataclass(frozen=True)
class Reading:
    """A value some source gives an indicator for a period."""

    period: str
    value: Decimal
    source: str
    measured_at: datetime
    recorded_by: str
    note: str | None = None
    source_key: str | None = None
    source_event_id: str | None = None
    source_version: int | None = None
    # The source was deleted (or no longer counts): the measurement is withdrawn.
    withdrawn: bool = False


def _check_period(plan: Plan, indicator: Indicator, period: str) -> None:
    if granularity_of(period) != indicator.granularity:
        raise Unprocessable(
            f"Indicator {indicator.code} is measured by {indicator.granularity}.",
            slug="period-granularity",
        )
    if not overlaps(period, plan.start_date, plan.end_date):
        raise Unprocessable(
            f"The period {period} lies outside the plan's period.", slug="period-outside-plan"
        )


def new_measurement(indicator: Indicator, reading: Reading) -> Measurement:
    """The measurement of ``reading``, not yet in the session (with its id: an event names it
    before it is written); a withdrawn reading makes only a marker that its source is gone."""
    now = utcnow()
    return Measurement(
        id=new_id(),
        created_at=now,
        updated_at=now,
        version=1,
        deleted_at=now if reading.withdrawn else None,
        indicator_id=indicator.id,
        period=reading.period,
        value=reading.value,
        note=reading.note,
        source=reading.source,
        source_key=reading.source_key,
        source_event_id=reading.source_event_id,
        source_version=reading.source_version,
        measured_at=reading.measured_at,
        recorded_by=reading.recorded_by,
    )


async def add_measurement(
    session: AsyncSession, outbox: Outbox, plan: Plan, indicator: Indicator, reading: Reading
) -> Measurement:
    measurement = new_measurement(indicator, reading)
    session.add(measurement)
    row = await refresh_period(session, outbox, plan, indicator, reading.period)
    await emit(
        session,
        outbox,
        measurement,
        lambda: measurement_recorded(plan, indicator, measurement, "created", row),
    )
    return measurement


async def correct_measurement(
    session: AsyncSession,
    outbox: Outbox,
    plan: Plan,
    indicator: Indicator,
    measurement: Measurement,
    reading: Reading | None,
) -> None:
    """Replace the measurement by ``reading``, or withdraw it (``None``); both periods it
    touched are recomputed."""
    before = measurement.period
    if reading is None or reading.withdrawn:
        measurement.deleted_at = utcnow()
        change = "deleted"
    else:
        measurement.deleted_at = None
        measurement.period, measurement.value = reading.period, reading.value
        measurement.measured_at = reading.measured_at
        measurement.source_event_id = reading.source_event_id
        measurement.source_version = reading.source_version
        change = "updated"
    if before != measurement.period:
        await refresh_period(session, outbox, plan, indicator, before)
    row = await refresh_period(session, outbox, plan, indicator, measurement.period)
    await emit(
        session,
        outbox,
        measurement,
        lambda: measurement_recorded(plan, indicator, measurement, change, row),
    )


async def record_manual(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    plan: Plan,
    indicator: Indicator,
    data: MeasurementIn,
) -> Measurement:
    require_open(plan, "measuring")
    if indicator.source != "manual":
        raise Unprocessable(
            f"Indicator {indicator.code} is fed by {indicator.source} events, not by hand.",
            slug="indicator-fed-by-events",
        )
    _check_period(plan, indicator, data.period)
    reading = Reading(
        period=data.period,
        value=data.value,
        source="manual",
        measured_at=utcnow(),
        recorded_by=principal.sub,
        note=data.note,
    )
    return await add_measurement(session, outbox, plan, indicator, reading)


async def withdraw_manual(
    session: AsyncSession,
    outbox: Outbox,
    plan: Plan,
    indicator: Indicator,
    measurement_id: uuid.UUID,
) -> None:
    require_open(plan, "correcting a measurement")
    measurement = await session.get(Measurement, measurement_id)
    if (
        measurement is None
        or measurement.indicator_id != indicator.id
        or measurement.deleted_at is not None
    ):
        raise NotFound(f"No measurement {measurement_id}.")
    if measurement.source != "manual":
        raise Unprocessable(
            "A measurement from events is corrected by its source event.",
            slug="indicator-fed-by-events",
        )
    await correct_measurement(session, outbox, plan, indicator, measurement, None)
