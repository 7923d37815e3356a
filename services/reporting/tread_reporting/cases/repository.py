from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.cases.models import CLOSED_STATUSES, CaseRecord
from tread_reporting.directory.models import AccountEntry
from tread_reporting.directory.repository import join_visible
from tread_shared.auth.principal import Principal

# Upper bounds (in days of age) of every bucket but the last.
AGE_LIMITS = (3, 8, 31)


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


async def open_cases_by_category(
    session: AsyncSession,
    principal: Principal,
    generation: int,
    now: datetime,
    *,
    territory: str | None = None,
    owner_id: str | None = None,
    category: str | None = None,
) -> list[Any]:
    """(category, open, breached, escalated, age bucket counts…, oldest opened_at)."""
    thresholds = [now - timedelta(days=days) for days in AGE_LIMITS]
    buckets = [_count(CaseRecord.opened_at > thresholds[0])]
    buckets += [
        _count((CaseRecord.opened_at <= newer) & (CaseRecord.opened_at > older))
        for newer, older in pairwise(thresholds)
    ]
    buckets.append(_count(CaseRecord.opened_at <= thresholds[-1]))
    query = select(
        CaseRecord.category,
        func.count(),
        _count(CaseRecord.due_at < now),
        _count(CaseRecord.escalated_at.is_not(None)),
        *buckets,
        func.min(CaseRecord.opened_at),
    ).where(CaseRecord.generation == generation, CaseRecord.status.not_in(CLOSED_STATUSES))
    query = join_visible(query, principal, generation, CaseRecord.account_id, CaseRecord.generation)
    if territory is not None:
        query = query.where(AccountEntry.territory == territory)
    if owner_id is not None:
        query = query.where(AccountEntry.owner_id == owner_id)
    if category is not None:
        query = query.where(CaseRecord.category == category)
    query = query.group_by(CaseRecord.category).order_by(CaseRecord.category)
    return list((await session.execute(query)).all())
