from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.observations.models import Observation
from tread_market_intel.positioning.models import PositioningBand
from tread_market_intel.products.models import Product


class ObservedPrice(NamedTuple):
    observed_at: datetime
    product_code: str
    territory: str
    competitor: str | None
    amount: Decimal
    currency: str
    outlier: bool


async def observed_prices(
    session: AsyncSession,
    *,
    product_code: str | None,
    range_: str | None,
    territory: str | None,
    since: datetime,
    until: datetime,
) -> list[ObservedPrice]:
    query = select(
        Observation.observed_at,
        Observation.product_code,
        Observation.territory,
        Observation.competitor,
        Observation.price_amount,
        Observation.currency,
        Observation.outlier,
    ).where(
        Observation.kind == "competitor_price",
        Observation.deleted_at.is_(None),
        Observation.observed_at >= since,
        Observation.observed_at < until,
    )
    if product_code is not None:
        query = query.where(Observation.product_code == product_code)
    if range_ is not None:
        in_range = select(Product.code).where(Product.range == range_)
        query = query.where(Observation.product_code.in_(in_range))
    if territory is not None:
        query = query.where(Observation.territory == territory)
    return [
        ObservedPrice(at, code, where, competitor, amount, currency, outlier)
        for at, code, where, competitor, amount, currency, outlier in await session.execute(query)
        if code is not None and amount is not None and currency is not None
    ]


async def band_before(
    session: AsyncSession, product_code: str, territory: str, month: str
) -> PositioningBand | None:
    """The band state of that month, else of the latest month before it."""
    query = (
        select(PositioningBand)
        .where(
            PositioningBand.product_code == product_code,
            PositioningBand.territory == territory,
            PositioningBand.month <= month,
        )
        .order_by(PositioningBand.month.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def band_states(
    session: AsyncSession, product_code: str, territory: str
) -> Sequence[PositioningBand]:
    query = select(PositioningBand).where(
        PositioningBand.product_code == product_code, PositioningBand.territory == territory
    )
    return (await session.scalars(query)).all()
