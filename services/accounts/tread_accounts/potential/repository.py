from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.integrations.models import SellInVolume
from tread_accounts.potential.models import PotentialQualification


async def get(
    session: AsyncSession, account_id: uuid.UUID, qualification_id: uuid.UUID
) -> PotentialQualification | None:
    query = select(PotentialQualification).where(
        PotentialQualification.id == qualification_id,
        PotentialQualification.account_id == account_id,
    )
    return (await session.scalars(query)).first()


async def history(session: AsyncSession, account_id: uuid.UUID) -> Sequence[PotentialQualification]:
    query = (
        select(PotentialQualification)
        .where(PotentialQualification.account_id == account_id)
        .order_by(PotentialQualification.qualified_at.desc(), PotentialQualification.id.desc())
    )
    return (await session.scalars(query)).all()


async def sell_in_units(
    session: AsyncSession, account_id: uuid.UUID, first_month: str, last_month: str
) -> int:
    query = select(func.coalesce(func.sum(SellInVolume.units), 0)).where(
        SellInVolume.account_id == account_id,
        SellInVolume.month >= first_month,
        SellInVolume.month <= last_month,
    )
    return int(await session.scalar(query) or 0)
