from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.indicators.models import Indicator, IndicatorPeriod, Measurement
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.workflow import OPEN


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


async def by_source_key(
    session: AsyncSession, indicator_id: uuid.UUID, key: str
) -> Measurement | None:
    query = select(Measurement).where(
        Measurement.indicator_id == indicator_id, Measurement.source_key == key
    )
    measurement: Measurement | None = await session.scalar(query)
    return measurement


async def fed_by(
    session: AsyncSession, account_id: uuid.UUID, sources: Sequence[str]
) -> Sequence[tuple[Indicator, Plan]]:
    """The indicators of the account's open plans that ``sources`` feed."""
    query = (
        select(Indicator, Plan)
        .join(Plan, Plan.id == Indicator.plan_id)
        .where(
            Indicator.account_id == account_id,
            Indicator.source.in_(sources),
            Indicator.deleted_at.is_(None),
            Plan.status.in_(OPEN),
            Plan.deleted_at.is_(None),
        )
        .order_by(Indicator.id)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


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
