from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.accounts.models import Account
from tread_accounts.activities.models import Activity
from tread_accounts.activities.schemas import ActivityFilters
from tread_shared.db.listing import Listed, list_page
from tread_shared.http.pagination import PageParams


async def get_live(session: AsyncSession, activity_id: uuid.UUID) -> Activity | None:
    activity = await session.get(Activity, activity_id)
    return activity if activity is not None and activity.deleted_at is None else None


async def list_activities(
    session: AsyncSession,
    scope: ColumnElement[bool],
    filters: ActivityFilters,
    page: PageParams,
    updated_since: datetime | None,
) -> Listed[Activity]:
    query = (
        select(Activity)
        .join(Account, Account.id == Activity.account_id)
        .where(scope, Account.deleted_at.is_(None))
    )
    if filters.account_id is not None:
        query = query.where(Activity.account_id == filters.account_id)
    if filters.type is not None:
        query = query.where(Activity.type == filters.type)
    if filters.status is not None:
        query = query.where(Activity.status == filters.status)
    if filters.performed_by is not None:
        query = query.where(Activity.performed_by == filters.performed_by)
    if filters.started_from is not None:
        query = query.where(Activity.started_at >= filters.started_from)
    if filters.started_before is not None:
        query = query.where(Activity.started_at < filters.started_before)
    return await list_page(session, query, Activity, page, updated_since=updated_since)


async def spending(
    session: AsyncSession, account_id: uuid.UUID, starts_at: datetime, ends_at: datetime
) -> Sequence[tuple[str, int, Decimal | None, str | None, str]]:
    """(type, minutes, cost, currency, status) of the account's activities started in the
    period."""
    query = select(
        Activity.type,
        Activity.duration_minutes,
        Activity.cost_amount,
        Activity.cost_currency,
        Activity.status,
    ).where(
        Activity.account_id == account_id,
        Activity.deleted_at.is_(None),
        Activity.started_at >= starts_at,
        Activity.started_at < ends_at,
    )
    return [tuple(row) for row in (await session.execute(query)).all()]  # type: ignore[misc]
