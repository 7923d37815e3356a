from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from tread_actionplans.indicators.facts import FedIndicator, FedMeasurement, FedPlan, PeriodFigures
from tread_actionplans.indicators.models import Indicator, IndicatorPeriod, Measurement
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.workflow import OPEN
from tread_shared.clock import utcnow
from tread_shared.db.upsert import insert_on_conflict


def of_plan(plan_id: uuid.UUID) -> Select[Indicator]:
    return select(Indicator).where(Indicator.plan_id == plan_id)


async def code_taken(session: AsyncSession, plan_id: uuid.UUID, code: str) -> bool:
    query = select(Indicator.id).where(Indicator.plan_id == plan_id, Indicator.code == code)
    return (await session.scalar(query)) is not None


async def periods_of(
    session: AsyncSession, indicator_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[IndicatorPeriod]]:
    found: dict[uuid.UUID, list[IndicatorPeriod]] = {i: [] for i in indicator_ids}
    if not indicator_ids:
        return found
    query = (
        select(IndicatorPeriod)
        .where(IndicatorPeriod.indicator_id.in_(indicator_ids))
        .order_by(IndicatorPeriod.indicator_id, IndicatorPeriod.period)
    )
    for row in (await session.scalars(query)).all():
        found[row.indicator_id].append(row)
    return found


async def live_values(
    session: AsyncSession, indicator_id: uuid.UUID, period: str
) -> Sequence[tuple[Decimal, object]]:
    """The period's live measurements: (value, measured_at), oldest first."""
    query = (
        select(Measurement.value, Measurement.measured_at)
        .where(
            Measurement.indicator_id == indicator_id,
            Measurement.period == period,
            Measurement.deleted_at.is_(None),
        )
        .order_by(Measurement.measured_at, Measurement.id)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def by_source_keys(
    session: AsyncSession, keys: Collection[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], FedMeasurement]:
    """The measurements of these (indicator, source key) pairs, by pair, in one query."""
    if not keys:
        return {}
    query = select(*_MEASUREMENT_FIELDS).where(
        tuple_(Measurement.indicator_id, Measurement.source_key).in_(sorted(keys))
    )
    found: dict[tuple[uuid.UUID, str], FedMeasurement] = {}
    for row in await session.execute(query):
        pair = (row.indicator_id, row.source_key or "")
        if pair in keys:
            found[pair] = FedMeasurement(
                id=row.id,
                indicator_id=row.indicator_id,
                period=row.period,
                value=row.value,
                source=row.source,
                source_key=pair[1],
                source_event_id=row.source_event_id,
                source_version=row.source_version,
                measured_at=row.measured_at,
                deleted_at=row.deleted_at,
                version=row.version,
            )
    return found


async def live_measurements(
    session: AsyncSession, periods: Collection[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], dict[uuid.UUID, tuple[datetime, Decimal]]]:
    """The live measurements of these (indicator, period) pairs: by pair, {id: (measured_at,
    value)}, in one query."""
    found: dict[tuple[uuid.UUID, str], dict[uuid.UUID, tuple[datetime, Decimal]]] = {
        pair: {} for pair in periods
    }
    if not periods:
        return found
    query = select(
        Measurement.indicator_id,
        Measurement.period,
        Measurement.id,
        Measurement.measured_at,
        Measurement.value,
    ).where(
        tuple_(Measurement.indicator_id, Measurement.period).in_(sorted(periods)),
        Measurement.deleted_at.is_(None),
    )
    for indicator_id, period, measurement_id, measured_at, value in await session.execute(query):
        live = found.get((indicator_id, period))
        if live is not None:
            live[measurement_id] = (measured_at, value)
    return found


async def insert_measurements(
    session: AsyncSession, measurements: Sequence[FedMeasurement], recorded_by: str
) -> None:
    """Write new measurements as rows, in one statement."""
    if not measurements:
        return
    now = utcnow()
    rows = [
        {
            "id": m.id,
            "created_at": now,
            "updated_at": now,
            "deleted_at": m.deleted_at,
            "version": m.version,
            "indicator_id": m.indicator_id,
            "period": m.period,
            "value": m.value,
            "note": None,
            "source": m.source,
            "source_key": m.source_key,
            "source_event_id": m.source_event_id,
            "source_version": m.source_version,
            "measured_at": m.measured_at,
            "recorded_by": recorded_by,
        }
        for m in measurements
    ]
    await session.execute(_INSERT_MEASUREMENT, rows)


async def update_measurements(
    session: AsyncSession, measurements: Sequence[FedMeasurement]
) -> None:
    """Write corrected measurements back, each guarded by the version it was read at (what the
    ORM's version counter does): a replica that corrected one meanwhile makes this fail, and
    the consumer applies the event again on what it wrote."""
    now = utcnow()
    for m in measurements:
        result = await session.execute(
            _UPDATE_MEASUREMENT,
            {
                "measurement_id": m.id,
                "read_version": m.version,
                "version": m.version + 1,
                "updated_at": now,
                "deleted_at": m.deleted_at,
                "period": m.period,
                "value": m.value,
                "measured_at": m.measured_at,
                "source_event_id": m.source_event_id,
                "source_version": m.source_version,
            },
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleDataError(f"measurement {m.id} changed meanwhile")
        m.version += 1


async def save_periods(session: AsyncSession, rows: Sequence[PeriodFigures]) -> None:
    """Insert or replace these periods' figures, in one statement."""
    if not rows:
        return
    values = [
        {
            "indicator_id": row.indicator_id,
            "period": row.period,
            "actual": row.actual,
            "measurements": row.measurements,
            "status": row.status,
            "updated_at": row.updated_at,
        }
        for row in rows
    ]
    await session.execute(_upsert_periods(session.get_bind().dialect.name), values)


@cache
def _upsert_periods(dialect: str) -> Any:
    statement = insert_on_conflict(dialect, IndicatorPeriod.__table__)
    return statement.on_conflict_do_update(
        index_elements=["indicator_id", "period"],
        set_={
            name: statement.excluded[name]
            for name in ("actual", "measurements", "status", "updated_at")
        },
    )


async def fed_by(
    session: AsyncSession, account_ids: Collection[uuid.UUID], sources: Sequence[str]
) -> dict[uuid.UUID, list[tuple[FedIndicator, FedPlan]]]:
    """The indicators of the accounts' open plans that ``sources`` feed, by account."""
    found: dict[uuid.UUID, list[tuple[FedIndicator, FedPlan]]] = {a: [] for a in account_ids}
    if not account_ids:
        return found
    query = (
        select(Indicator.account_id, *_INDICATOR_FIELDS, *_PLAN_FIELDS)
        .join(Plan, Plan.id == Indicator.plan_id)
        .where(
            Indicator.account_id.in_(account_ids),
            Indicator.source.in_(sources),
            Indicator.deleted_at.is_(None),
            Plan.status.in_(OPEN),
            Plan.deleted_at.is_(None),
        )
        .order_by(Indicator.id)
    )
    plans: dict[uuid.UUID, FedPlan] = {}
    split = 1 + len(_INDICATOR_FIELDS)
    for row in await session.execute(query):
        plan = plans.get(row[split])
        if plan is None:
            plan = plans[row[split]] = FedPlan(*row[split:])
        found[row[0]].append((FedIndicator(*row[1:split]), plan))
    return found


_MEASUREMENT_FIELDS = (
    Measurement.id,
    Measurement.indicator_id,
    Measurement.period,
    Measurement.value,
    Measurement.source,
    Measurement.source_key,
    Measurement.source_event_id,
    Measurement.source_version,
    Measurement.measured_at,
    Measurement.deleted_at,
    Measurement.version,
)
_INDICATOR_FIELDS = (
    Indicator.id,
    Indicator.code,
    Indicator.unit,
    Indicator.direction,
    Indicator.granularity,
    Indicator.source,
    Indicator.source_filter,
    Indicator.aggregation,
    Indicator.threshold_mode,
    Indicator.warning,
    Indicator.critical,
    Indicator.targets,
)
_PLAN_FIELDS = (
    Plan.id,
    Plan.status,
    Plan.account_id,
    Plan.territory,
    Plan.owner_id,
    Plan.start_date,
    Plan.end_date,
)
_MEASUREMENTS = cast(Table, Measurement.__table__)
_INSERT_MEASUREMENT = insert(_MEASUREMENTS)
_UPDATE_MEASUREMENT = (
    update(_MEASUREMENTS)
    .where(
        _MEASUREMENTS.c.id == bindparam("measurement_id"),
        _MEASUREMENTS.c.version == bindparam("read_version"),
    )
    .values(
        version=bindparam("version"),
        updated_at=bindparam("updated_at"),
        deleted_at=bindparam("deleted_at"),
        period=bindparam("period"),
        value=bindparam("value"),
        measured_at=bindparam("measured_at"),
        source_event_id=bindparam("source_event_id"),
        source_version=bindparam("source_version"),
    )
)


def measurements_of(indicator_id: uuid.UUID) -> Select[Measurement]:
    return select(Measurement).where(Measurement.indicator_id == indicator_id)


async def periods_of_plan(
    session: AsyncSession, plan_id: uuid.UUID
) -> Sequence[tuple[Indicator, IndicatorPeriod]]:
    query = (
        select(Indicator, IndicatorPeriod)
        .join(IndicatorPeriod, IndicatorPeriod.indicator_id == Indicator.id)
        .where(Indicator.plan_id == plan_id, Indicator.deleted_at.is_(None))
        .order_by(Indicator.id, IndicatorPeriod.period)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def latest_measured(
    session: AsyncSession, indicator_ids: Collection[uuid.UUID]
) -> Sequence[tuple[IndicatorPeriod, str]]:
    """Each indicator's latest period with measurements, and the indicator's direction."""
    if not indicator_ids:
        return []
    later = aliased(IndicatorPeriod)
    latest = (
        select(func.max(later.period))
        .where(later.indicator_id == Indicator.id, later.measurements > 0)
        .correlate(Indicator)
        .scalar_subquery()
    )
    query = (
        select(IndicatorPeriod, Indicator.direction)
        .join(Indicator, Indicator.id == IndicatorPeriod.indicator_id)
        .where(Indicator.id.in_(indicator_ids), IndicatorPeriod.period == latest)
    )
    return [(row, direction) for row, direction in await session.execute(query)]
