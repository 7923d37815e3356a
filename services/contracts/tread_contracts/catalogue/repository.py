from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import case, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.catalogue.models import DEFAULT_TERRITORY, CataloguePrice, CatalogueProduct


async def products(session: AsyncSession, codes: Sequence[str]) -> dict[str, CatalogueProduct]:
    query = select(CatalogueProduct).where(CatalogueProduct.code.in_(sorted(set(codes))))
    return {row.code: row for row in await session.scalars(query)}


async def is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(exists().where(CatalogueProduct.code.is_not(None))))


async def price_in_force(
    session: AsyncSession, code: str, territory: str, on: date, currency: str | None
) -> CataloguePrice | None:
    """The territory's own entry before the default, then the latest ``valid_from``."""
    query = select(CataloguePrice).where(
        CataloguePrice.product_code == code,
        CataloguePrice.territory.in_([territory, DEFAULT_TERRITORY]),
        CataloguePrice.valid_from <= on,
        or_(CataloguePrice.valid_to.is_(None), CataloguePrice.valid_to >= on),
    )
    if currency is not None:
        query = query.where(CataloguePrice.currency == currency)
    query = query.order_by(
        case((CataloguePrice.territory == DEFAULT_TERRITORY, 1), else_=0),
        CataloguePrice.valid_from.desc(),
    )
    return (await session.scalars(query.limit(1))).first()
