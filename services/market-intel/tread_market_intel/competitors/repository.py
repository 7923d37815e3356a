from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.competitors.models import CompetitorProduct, Equivalence


async def get_live(session: AsyncSession, product_id: uuid.UUID) -> CompetitorProduct | None:
    row = await session.get(CompetitorProduct, product_id)
    return row if row is not None and row.deleted_at is None else None


def listed(
    *, competitor: str | None, brand: str | None, product_code: str | None
) -> Select[CompetitorProduct]:
    query = select(CompetitorProduct)
    if competitor is not None:
        query = query.where(CompetitorProduct.competitor == competitor)
    if brand is not None:
        query = query.where(CompetitorProduct.brand == brand)
    if product_code is not None:
        equivalent = select(Equivalence.competitor_product_id).where(
            Equivalence.product_code == product_code
        )
        query = query.where(CompetitorProduct.id.in_(equivalent))
    return query
