from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Numeric, Select, String, bindparam, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.observations.models import Observation
from tread_market_intel.positioning.models import PositioningBand
from tread_market_intel.products.models import Product
from tread_shared.db.reading import Rows


class ObservedPrice(NamedTuple):
    month: str  # "2026-03", of the observation's UTC time
    product_code: str
    territory: str
    competitor: str | None
    amount: Decimal
    currency: str
    outlier: bool


def _month(dialect: str) -> ColumnElement[str]:
    """The observation's month as ``YYYY-MM``, computed by the database: a million
    observations make about 2,000 rows an answer, and a UTC datetime built in Python for each
    was a fifth of the request's time."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", Observation.observed_at), "YYYY-MM")
    return func.strftime("%Y-%m", Observation.observed_at)  # SQLite holds UTC, naive


def _amount(dialect: str) -> ColumnElement[Any]:
    """The price as the driver gives it: asyncpg's Decimal as is, SQLite's text to be made one
    (ExactDecimal's normalising of each of 2,000 values was a fifth of the request)."""
    if dialect == "postgresql":
        return type_coerce(Observation.price_amount, Numeric(20, 4, asdecimal=True))
    return type_coerce(Observation.price_amount, String(40))


async def observed_prices(
    reads: Rows,
    *,
    product_code: str | None,
    range_: str | None,
    territory: str | None,
    since: datetime,
    until: datetime,
) -> list[ObservedPrice]:
    """The competitor prices observed, read as rows (no ORM row handling, for about 2,000 rows
    an answer at a million observations; on the driver on PostgreSQL)."""
    dialect = reads.dialect.name
    values: dict[str, Any] = {"since": since, "until": until}
    given = {"product_code": product_code, "range": range_, "territory": territory}
    values.update((name, value) for name, value in given.items() if value is not None)
    query = _observed(dialect, product_code is not None, range_ is not None, territory is not None)
    rows = await reads.all(query, values)
    if dialect == "sqlite":
        return [ObservedPrice(m, p, t, c, Decimal(a), cur, o) for m, p, t, c, a, cur, o in rows]
    return [ObservedPrice._make(row) for row in rows]


@lru_cache(maxsize=64)
def _observed(dialect: str, by_product: bool, by_range: bool, by_territory: bool) -> Select[Any]:
    """:func:`observed_prices`'s statement, built once per dialect and choice of filters."""
    query = select(
        _month(dialect),
        Observation.product_code,
        Observation.territory,
        Observation.competitor,
        _amount(dialect),
        Observation.currency,
        Observation.outlier,
    ).where(
        Observation.kind == "competitor_price",
        Observation.deleted_at.is_(None),
        Observation.observed_at >= bindparam("since"),
        Observation.observed_at < bindparam("until"),
        Observation.product_code.is_not(None),
        Observation.price_amount.is_not(None),
        Observation.currency.is_not(None),
    )
    if by_product:
        query = query.where(Observation.product_code == bindparam("product_code"))
    if by_range:
        in_range = select(Product.code).where(Product.range == bindparam("range"))
        query = query.where(Observation.product_code.in_(in_range))
    if by_territory:
        query = query.where(Observation.territory == bindparam("territory"))
    return query


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
