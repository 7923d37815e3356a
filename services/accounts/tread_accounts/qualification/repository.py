from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.accounts.models import Account
from tread_accounts.qualification.models import Qualification


async def for_account(session: AsyncSession, account_id: uuid.UUID) -> Qualification | None:
    query = select(Qualification).where(Qualification.account_id == account_id)
    return (await session.scalars(query)).first()


def _in_portfolio(scope: ColumnElement[bool], **filters: str | None) -> list[ColumnElement[bool]]:
    conditions = [scope, Account.deleted_at.is_(None)]
    for name, value in filters.items():
        if value is not None:
            conditions.append(getattr(Account, name) == value)
    return conditions


async def totals_by_quadrant(
    session: AsyncSession, scope: ColumnElement[bool], **filters: str | None
) -> Sequence[Row[str, int, int, int, int]]:
    """Per quadrant: accounts, expected volume, planned visits and hours."""
    query = (
        select(
            Qualification.quadrant,
            func.count(Account.id).label("accounts"),
            func.sum(Qualification.annual_volume_units).label("volume"),
            func.sum(Qualification.visits_per_year).label("visits"),
            func.sum(Qualification.hours_per_year).label("hours"),
        )
        .select_from(Account)
        .join(Qualification, Qualification.account_id == Account.id)
        .where(*_in_portfolio(scope, **filters))
        .group_by(Qualification.quadrant)
    )
    return (await session.execute(query)).all()


async def budgets_by_quadrant(
    session: AsyncSession, scope: ColumnElement[bool], **filters: str | None
) -> list[tuple[str, str, Decimal]]:
    """Per quadrant and currency: the planned budget."""
    query = (
        select(
            Qualification.quadrant,
            Qualification.budget_currency,
            func.sum(Qualification.budget_amount),
        )
        .select_from(Account)
        .join(Qualification, Qualification.account_id == Account.id)
        .where(*_in_portfolio(scope, **filters))
        .group_by(Qualification.quadrant, Qualification.budget_currency)
    )
    return [(q, c, Decimal(str(total))) for q, c, total in (await session.execute(query)).all()]


async def count_unqualified(
    session: AsyncSession, scope: ColumnElement[bool], **filters: str | None
) -> int:
    query = select(func.count(Account.id)).where(
        *_in_portfolio(scope, **filters), Account.quadrant.is_(None)
    )
    return int(await session.scalar(query) or 0)


async def accounts_in_quadrant(
    session: AsyncSession,
    scope: ColumnElement[bool],
    quadrant: str | None,
    limit: int,
    **filters: str | None,
) -> Sequence[Row[Account, Qualification]]:
    """Accounts of ``quadrant`` (``None``: not qualified) by name, with their qualification."""
    query = (
        select(Account, Qualification)
        .outerjoin(Qualification, Qualification.account_id == Account.id)
        .where(*_in_portfolio(scope, **filters), Account.quadrant == quadrant)
        .order_by(Account.name, Account.id)
        .limit(limit)
    )
    return (await session.execute(query)).all()
