from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.market.models import (
    MarketObservationRecord,
    MarketPositioningHistoryRecord,
    MarketPositioningRecord,
    MarketProductRecord,
)
from tread_shared.auth.principal import Principal


def _observations_in_scope(principal: Principal) -> ColumnElement[bool]:
    """Central and admins read every territory; the field its own."""
    if principal.reads_everything:
        return true()
    return MarketObservationRecord.territory.in_(sorted(principal.territories))


def _recorded_before(moment: datetime | None) -> ColumnElement[bool]:
    """Observations recorded before ``moment`` (all when ``None``; those applied before the
    recording time was kept count as recorded)."""
    if moment is None:
        return true()
    recorded_at = MarketObservationRecord.recorded_at
    return or_(recorded_at.is_(None), recorded_at < moment)


async def observations_by_territory_and_kind(
    session: AsyncSession,
    principal: Principal,
    generation: int,
    since: datetime,
    until: datetime,
    territory: str | None,
    recorded_before: datetime | None = None,
) -> list[Any]:
    """(territory, kind, count, outliers)."""
    record = MarketObservationRecord
    query = (
        select(
            record.territory,
            record.kind,
            func.count(),
            func.sum(case((record.outlier.is_(True), 1), else_=0)),
        )
        .where(
            record.generation == generation,
            record.observed_at >= since,
            record.observed_at < until,
            _observations_in_scope(principal),
            _recorded_before(recorded_before),
        )
        .group_by(record.territory, record.kind)
        .order_by(record.territory, record.kind)
    )
    if territory is not None:
        query = query.where(record.territory == territory)
    return list((await session.execute(query)).all())


async def competitors(
    session: AsyncSession,
    principal: Principal,
    generation: int,
    since: datetime,
    until: datetime,
    territory: str | None,
    limit: int,
    recorded_before: datetime | None = None,
) -> list[Any]:
    """(competitor, observations, territories), the most observed first."""
    record = MarketObservationRecord
    query = (
        select(record.competitor, func.count(), func.count(func.distinct(record.territory)))
        .where(
            record.generation == generation,
            record.competitor.is_not(None),
            record.observed_at >= since,
            record.observed_at < until,
            _observations_in_scope(principal),
            _recorded_before(recorded_before),
        )
        .group_by(record.competitor)
        .order_by(func.count().desc(), record.competitor)
        .limit(limit)
    )
    if territory is not None:
        query = query.where(record.territory == territory)
    return list((await session.execute(query)).all())


async def positioning(
    session: AsyncSession, generation: int, first: str, last: str, territory: str | None
) -> list[Any]:
    """(range, product_code, territory, month, index, previous_index, band, previous_band)
    for the months of the period, oldest first."""
    row, product = MarketPositioningRecord, MarketProductRecord
    query = (
        select(
            product.range,
            row.product_code,
            row.territory,
            row.month,
            row.index,
            row.previous_index,
            row.band,
            row.previous_band,
        )
        .outerjoin(
            product,
            (product.generation == row.generation) & (product.code == row.product_code),
        )
        .where(row.generation == generation, row.month >= first, row.month <= last)
        .order_by(row.month, row.product_code, row.territory)
    )
    if territory is not None:
        query = query.where(row.territory == territory)
    return list((await session.execute(query)).all())


async def positioning_at(
    session: AsyncSession,
    generation: int,
    first: str,
    last: str,
    territory: str | None,
    moment: datetime,
) -> list[Any]:
    """As ``positioning``, each product, territory and month as its last crossing before
    ``moment`` left it."""
    history, product = MarketPositioningHistoryRecord, MarketProductRecord
    newest = func.row_number().over(
        partition_by=(history.product_code, history.territory, history.month),
        order_by=history.version.desc(),
    )
    ranked = (
        select(
            history.product_code,
            history.territory,
            history.month,
            history.index,
            history.previous_index,
            history.band,
            history.previous_band,
            newest.label("newest"),
        )
        .where(
            history.generation == generation,
            history.changed_at < moment,
            history.month >= first,
            history.month <= last,
        )
        .subquery()
    )
    query = (
        select(
            product.range,
            ranked.c.product_code,
            ranked.c.territory,
            ranked.c.month,
            ranked.c.index,
            ranked.c.previous_index,
            ranked.c.band,
            ranked.c.previous_band,
        )
        .outerjoin(
            product,
            (product.generation == generation) & (product.code == ranked.c.product_code),
        )
        .where(ranked.c.newest == 1)
        .order_by(ranked.c.month, ranked.c.product_code, ranked.c.territory)
    )
    if territory is not None:
        query = query.where(ranked.c.territory == territory)
    return list((await session.execute(query)).all())
