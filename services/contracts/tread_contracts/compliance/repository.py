from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.compliance.models import ComplianceSnapshot, SellInVolume


async def sell_in(
    session: AsyncSession, account_id: uuid.UUID, period: str, product_line: str
) -> SellInVolume | None:
    return await session.get(SellInVolume, (account_id, period, product_line))


async def sell_in_total(
    session: AsyncSession,
    account_id: uuid.UUID,
    months: Sequence[str],
    product_line: str | None = None,
) -> int:
    query = select(func.coalesce(func.sum(SellInVolume.quantity), 0)).where(
        SellInVolume.account_id == account_id, SellInVolume.period.in_(months)
    )
    if product_line is not None:
        query = query.where(SellInVolume.product_line == product_line)
    return int(await session.scalar(query) or 0)


async def sell_in_by_month(
    session: AsyncSession,
    account_id: uuid.UUID,
    months: Sequence[str],
    product_line: str | None = None,
) -> dict[str, int]:
    query = (
        select(SellInVolume.period, func.sum(SellInVolume.quantity))
        .where(SellInVolume.account_id == account_id, SellInVolume.period.in_(months))
        .group_by(SellInVolume.period)
    )
    if product_line is not None:
        query = query.where(SellInVolume.product_line == product_line)
    return {period: int(units or 0) for period, units in (await session.execute(query)).all()}


async def months_with_sell_in(
    session: AsyncSession, account_id: uuid.UUID, months: Sequence[str]
) -> set[str]:
    """The months of ``months`` whose sell-in has arrived for the account (any product line)."""
    query = (
        select(SellInVolume.period)
        .where(SellInVolume.account_id == account_id, SellInVolume.period.in_(months))
        .distinct()
    )
    return set((await session.scalars(query)).all())


async def snapshot(session: AsyncSession, contract_id: uuid.UUID) -> ComplianceSnapshot | None:
    return await session.get(ComplianceSnapshot, contract_id)
