from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, func, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tread_actionplans.indicators.models import Indicator, IndicatorPeriod, Measurement
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.workflow import OPEN
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
) -> dict[tuple[uuid.UUID, str], Measurement]:
    """The measurements of these (indicator, source key) pairs, by pair, in one query."""
    if not keys:
        return {}
    query = select(Measurement).where(
        tuple_(Measurement.indicator_id, Measurement.source_key).in_(sorted(keys))
    )
    found: dict[tuple[uuid.UUID, str], Measurement] = {}
    for measurement in (await session.scalars(query)).all():
        assert measurement.source_key is not None
        pair = (measurement.indicator_id, measurement.source_key)
        if pair in keys:
            found[pair] = measurement
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


async def insert_measurements(session: AsyncSession, measurements: Sequence[Measurement]) -> None:
    """Write new measurements as rows, in one statement (they are not added to the session)."""
    if measurements:
        columns = [column.key for column in Measurement.__table__.columns]
        rows = [{name: getattr(m, name) for name in columns} for m in measurements]
        await session.execute(insert(Measurement), rows)


async def save_periods(session: AsyncSession, rows: Sequence[IndicatorPeriod]) -> None:
    """Insert or replace these periods' figures, in one statement."""
    if not rows:
        return
    statement = insert_on_conflict(session.get_bind().dialect.name, IndicatorPeriod.__table__)
    figures = ("actual", "measurements", "status", "updated_at")
    statement = statement.on_conflict_do_update(
        index_elements=["indicator_id", "period"],
        set_={name: statement.excluded[name] for name in figures},
    )
    values = [
        {name: getattr(row, name) for name in ("indicator_id", "period", *figures)} for row in rows
    ]
    await session.execute(statement, values)


async def fed_by(
    session: AsyncSession, account_ids: Collection[uuid.UUID], sources: Sequence[str]
) -> dict[uuid.UUID, list[tuple[Indicator, Plan]]]:
    """The indicators of the accounts' open plans that ``sources`` feed, by account."""
    found: dict[uuid.UUID, list[tuple[Indicator, Plan]]] = {a: [] for a in account_ids}
    if not account_ids:
        return found
    query = (
        select(Indicator, Plan)
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
    for indicator, plan in await session.execute(query):
        assert indicator.account_id is not None
        found[indicator.account_id].append((indicator, plan))
    return found


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


async def latest_periods(
    session: AsyncSession, plan_id: uuid.UUID
) -> Sequence[tuple[Indicator, IndicatorPeriod | None]]:
    """The plan's indicators, by code, each with its latest period row (None: none yet), in
    one query: each latest row found by the period table's primary key, not all the periods
    read."""
    later = aliased(IndicatorPeriod)
    latest = (
        select(func.max(later.period))
        .where(later.indicator_id == Indicator.id)
        .correlate(Indicator)
        .scalar_subquery()
    )
    query = (
        select(Indicator, IndicatorPeriod)
        .outerjoin(
            IndicatorPeriod,
            (IndicatorPeriod.indicator_id == Indicator.id) & (IndicatorPeriod.period == latest),
        )
        .where(Indicator.plan_id == plan_id, Indicator.deleted_at.is_(None))
        .order_by(Indicator.code)
    )
    return [(indicator, row) for indicator, row in await session.execute(query)]


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
