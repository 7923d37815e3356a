from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.arguments.models import Argument, ArgumentVersion
from tread_market_intel.arguments.schemas import ArgumentFilters
from tread_shared.auth.principal import Principal


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """Central and admins see every argument; others the validated ones and their own."""
    if principal.reads_everything:
        return true()
    return or_(Argument.status == "validated", Argument.author_id == principal.sub)


def listed(principal: Principal, filters: ArgumentFilters) -> Select[Argument]:
    query = select(Argument).where(visible_clause(principal))
    if filters.product_code is not None:
        query = query.where(
            or_(Argument.product_code == filters.product_code, Argument.product_code.is_(None))
        )
    if filters.usage_type is not None:
        query = query.where(
            or_(Argument.usage_type == filters.usage_type, Argument.usage_type.is_(None))
        )
    if filters.segment is not None:
        query = query.where(or_(Argument.segment == filters.segment, Argument.segment.is_(None)))
    if filters.status is not None:
        query = query.where(Argument.status == filters.status)
    return query


async def visible(
    session: AsyncSession, principal: Principal, argument_id: uuid.UUID
) -> Argument | None:
    query = select(Argument).where(
        Argument.id == argument_id,
        Argument.deleted_at.is_(None),
        visible_clause(principal),
    )
    return (await session.scalars(query)).first()


async def versions(session: AsyncSession, argument_id: uuid.UUID) -> Sequence[ArgumentVersion]:
    query = (
        select(ArgumentVersion)
        .where(ArgumentVersion.argument_id == argument_id)
        .order_by(ArgumentVersion.number)
    )
    return (await session.scalars(query)).all()
