from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.cases import repository
from tread_reporting.cases.schemas import AGE_BUCKETS, CasesOut, CategoryCases
from tread_reporting.freshness.service import ReadView
from tread_shared.auth.principal import Principal


async def open_cases(
    session: AsyncSession,
    principal: Principal,
    view: ReadView,
    now: datetime,
    **filters: str | None,
) -> CasesOut:
    rows = await repository.open_cases_by_category(
        session, principal, view.generation, now, **filters
    )
    categories = [
        CategoryCases(
            category=category,
            open=opened,
            breached=breached,
            escalated=escalated,
            by_age=dict(zip(AGE_BUCKETS, ages, strict=True)),
            oldest_opened_at=oldest,
        )
        for category, opened, breached, escalated, *ages, oldest in rows
    ]
    return CasesOut(
        categories=categories,
        open=sum(c.open for c in categories),
        breached=sum(c.breached for c in categories),
        escalated=sum(c.escalated for c in categories),
        as_of=view.as_of,
    )
