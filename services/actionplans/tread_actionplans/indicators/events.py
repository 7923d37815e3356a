from __future__ import annotations

from tread_actionplans.indicators.evaluation import target_of
from tread_actionplans.indicators.facts import FedMeasurement, IndicatorRules, PeriodRow, PlanScope
from tread_actionplans.indicators.models import Measurement
from tread_shared.events.payloads.actionplans import MeasurementRecorded, PeriodReading


def period_reading(indicator: IndicatorRules, row: PeriodRow) -> PeriodReading:
    target = target_of(indicator, row.period)
    return PeriodReading(
        period=row.period,
        actual=row.actual,
        target=target,
        gap=None if target is None else row.actual - target,
        status=row.status,
    )


def measurement_recorded(
    plan: PlanScope,
    indicator: IndicatorRules,
    measurement: Measurement | FedMeasurement,
    change: str,
    row: PeriodRow,
) -> MeasurementRecorded:
    return MeasurementRecorded(
        measurement_id=measurement.id,
        indicator_id=indicator.id,
        indicator_code=indicator.code,
        plan_id=plan.id,
        account_id=plan.account_id,
        territory=plan.territory,
        owner_id=plan.owner_id,
        change=change,
        period=measurement.period,
        value=measurement.value,
        source=measurement.source,
        source_event_id=measurement.source_event_id,
        reading=period_reading(indicator, row),
    )
