from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.accounts.models import Account
from tread_accounts.cases.models import Case, CaseComment
from tread_accounts.cases.schemas import CaseFilters
from tread_accounts.cases.workflow import UNRESOLVED
from tread_shared.db.listing import Listed, list_page
from tread_shared.http.pagination import PageParams


async def get_live(session: AsyncSession, case_id: uuid.UUID) -> Case | None:
    case = await session.get(Case, case_id)
    return case if case is not None and case.deleted_at is None else None


def _overdue(now: datetime) -> ColumnElement[bool]:
    return and_(Case.status.in_(UNRESOLVED), Case.due_at < now)


async def list_cases(
    session: AsyncSession,
    scope: ColumnElement[bool],
    filters: CaseFilters,
    page: PageParams,
    updated_since: datetime | None,
    now: datetime,
) -> Listed[Case]:
    query = (
        select(Case)
        .join(Account, Account.id == Case.account_id)
        .where(scope, Account.deleted_at.is_(None))
    )
    for name in ("account_id", "status", "category", "priority", "assignee_id"):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(getattr(Case, name) == value)
    if filters.overdue is not None:
        query = query.where(_overdue(now) if filters.overdue else not_(_overdue(now)))
    if filters.escalated is not None:
        escalated = Case.escalated_at.is_not(None)
        query = query.where(escalated if filters.escalated else not_(escalated))
    return await list_page(session, query, Case, page, updated_since=updated_since)


async def unresolved_about(
    session: AsyncSession, account_id: uuid.UUID, external_reference: str
) -> Case | None:
    query = select(Case).where(
        Case.account_id == account_id,
        Case.external_reference == external_reference,
        Case.status.in_(UNRESOLVED),
        Case.deleted_at.is_(None),
    )
    return (await session.scalars(query.limit(1))).first()


async def comments(session: AsyncSession, case_id: uuid.UUID) -> Sequence[CaseComment]:
    query = (
        select(CaseComment)
        .where(CaseComment.case_id == case_id)
        .order_by(CaseComment.created_at, CaseComment.id)
    )
    return (await session.scalars(query)).all()


async def mark_overdue_escalated(session: AsyncSession, now: datetime, limit: int) -> list[Case]:
    """Mark up to ``limit`` overdue, not yet escalated cases as escalated; returns them.

    One conditional UPDATE: of two replicas doing this at once, only one changes a given row
    (PostgreSQL re-checks ``escalated_at IS NULL`` once the other's lock is released; SQLite
    runs writers one at a time), so each case is escalated — and announced — once."""
    due = (
        select(Case.id)
        .where(Case.escalated_at.is_(None), Case.deleted_at.is_(None), _overdue(now))
        .order_by(Case.due_at)
        .limit(limit)
    )
    statement = (
        update(Case)
        .where(Case.id.in_(due), Case.escalated_at.is_(None), _overdue(now))
        .values(escalated_at=now, updated_at=now, version=Case.version + 1)
        .returning(Case.id)
        .execution_options(synchronize_session=False)
    )
    escalated = list((await session.scalars(statement)).all())
    if not escalated:
        return []
    return list((await session.scalars(select(Case).where(Case.id.in_(escalated)))).all())
