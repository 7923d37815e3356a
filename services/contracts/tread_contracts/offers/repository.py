from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.directory.repository import within_scope
from tread_contracts.offers.models import Offer
from tread_shared.auth.principal import Principal

OPEN_STATUSES = ("pending_approval", "submitted")


async def get(session: AsyncSession, offer_id: uuid.UUID) -> Offer | None:
    return await session.get(Offer, offer_id)


def visible(
    principal: Principal, *, account_id: uuid.UUID | None = None, status: str | None = None
) -> Select[Offer]:
    query = within_scope(select(Offer), principal, Offer.account_id)
    if account_id is not None:
        query = query.where(Offer.account_id == account_id)
    if status is not None:
        query = query.where(Offer.status == status)
    return query


async def lapsed_ids(session: AsyncSession, today: date) -> Sequence[uuid.UUID]:
    """Open offers whose validity ended before ``today``."""
    query = select(Offer.id).where(Offer.status.in_(OPEN_STATUSES), Offer.valid_until < today)
    return (await session.scalars(query)).all()
