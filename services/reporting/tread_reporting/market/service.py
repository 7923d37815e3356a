"""The market view of a period: what the field saw, where prices stand, what moved."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.freshness.service import ReadView
from tread_reporting.market import repository
from tread_reporting.market.schemas import (
    CompetitorActivity,
    MarketOut,
    MarketSection,
    ObservationCount,
    PositioningMove,
    RangePositioning,
)
from tread_shared.auth.principal import Principal

TOP = 10


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


async def market(
    session: AsyncSession,
    principal: Principal,
    view: ReadView,
    start: date,
    end: date,
    territory: str | None,
) -> MarketOut:
    section = await market_section(session, principal, view.generation, start, end, territory)
    return MarketOut(start=start, end=end, as_of=view.as_of, **dict(section))


async def market_section(
    session: AsyncSession,
    principal: Principal,
    generation: int,
    start: date,
    end: date,
    territory: str | None = None,
    as_of: datetime | None = None,
) -> MarketSection:
    """The market from ``start`` to ``end`` (both included), in the caller's territories; with
    ``as_of``, as it was known then (observations recorded and crossings made before it)."""
    since = datetime.combine(start, time(), UTC)
    until = datetime.combine(end + timedelta(days=1), time(), UTC)
    counts = await repository.observations_by_territory_and_kind(
        session, principal, generation, since, until, territory, as_of
    )
    rivals = await repository.competitors(
        session, principal, generation, since, until, territory, TOP, as_of
    )
    months = (_month(start), _month(end))
    moves = (
        await repository.positioning(session, generation, *months, territory)
        if as_of is None
        else await repository.positioning_at(session, generation, *months, territory, as_of)
    )
    latest: dict[tuple[str, str], tuple[str, Decimal, str]] = {}
    for range_, code, where, _when, index, _before, band, _was in moves:
        latest[(code, where)] = (range_ or "", index, band)
    groups: dict[tuple[str, str], list[tuple[Decimal, str]]] = defaultdict(list)
    for (_code, where), (range_, index, band) in latest.items():
        groups[(range_, where)].append((index, band))
    ranked = sorted(
        moves,
        key=lambda m: abs(m[4] - m[5]) if m[5] is not None else Decimal(0),
        reverse=True,
    )
    return MarketSection(
        observations=[
            ObservationCount(territory=t, kind=k, observations=n, outliers=int(o or 0))
            for t, k, n, o in counts
        ],
        positioning=[
            RangePositioning(
                range=range_,
                territory=where,
                products=len(states),
                below=sum(band == "below" for _i, band in states),
                within=sum(band == "within" for _i, band in states),
                above=sum(band == "above" for _i, band in states),
                median_index=statistics.median(i for i, _b in states) if states else None,
            )
            for (range_, where), states in sorted(groups.items())
        ],
        top_moves=[
            PositioningMove(
                product_code=code,
                territory=where,
                month=month,
                previous_index=prev_index,
                index=index,
                previous_band=prev_band,
                band=band,
            )
            for _r, code, where, month, index, prev_index, band, prev_band in ranked[:TOP]
        ],
        competitors=[
            CompetitorActivity(competitor=name, observations=n, territories=t)
            for name, n, t in rivals
        ],
    )
