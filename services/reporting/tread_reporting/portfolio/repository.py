"""Portfolio figures, grouped by owner or territory, over the accounts a caller sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.columns import total
from tread_reporting.directory.models import AccountEntry
from tread_reporting.directory.repository import visible
from tread_reporting.partnerships.models import ContractRecord
from tread_reporting.portfolio.models import ActivityRecord, Qualification
from tread_reporting.portfolio.schemas import GroupBy
from tread_shared.auth.principal import Principal


@dataclass(frozen=True)
class PortfolioScope:
    principal: Principal
    generation: int
    group_by: GroupBy
    territory: str | None = None
    owner_id: str | None = None

    @property
    def group(self) -> Any:
        return AccountEntry.owner_id if self.group_by == "owner" else AccountEntry.territory

    def narrow(self, query: Select[Any]) -> Select[Any]:
        query = query.where(visible(self.principal, self.generation))
        if self.territory is not None:
            query = query.where(AccountEntry.territory == self.territory)
        if self.owner_id is not None:
            query = query.where(AccountEntry.owner_id == self.owner_id)
        return query


def _same_account(model: Any) -> Any:
    return and_(
        model.generation == AccountEntry.generation, model.account_id == AccountEntry.account_id
    )


async def account_counts(session: AsyncSession, scope: PortfolioScope) -> list[Any]:
    """(group, status, quadrant, count)."""
    quadrant = func.coalesce(AccountEntry.quadrant, "unqualified")
    query = scope.narrow(
        select(scope.group, AccountEntry.status, quadrant, func.count()).group_by(
            scope.group, AccountEntry.status, quadrant
        )
    )
    return list((await session.execute(query)).all())


async def planned(session: AsyncSession, scope: PortfolioScope) -> list[Any]:
    """(group, visits, hours, currency, budget) of the accounts' qualifications."""
    query = scope.narrow(
        select(
            scope.group,
            func.sum(Qualification.visits_per_year),
            func.sum(Qualification.hours_per_year),
            Qualification.budget_currency,
            total(Qualification.budget),
        )
        .select_from(AccountEntry)
        .join(Qualification, _same_account(Qualification))
        .group_by(scope.group, Qualification.budget_currency)
    )
    return list((await session.execute(query)).all())


async def spent(
    session: AsyncSession, scope: PortfolioScope, year: int, now: datetime
) -> list[Any]:
    """(group, visits, minutes, currency, cost) of the year's activities done by ``now``: one
    dated later is a plan, not spent."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = min(datetime(year + 1, 1, 1, tzinfo=UTC), now)
    query = scope.narrow(
        select(
            scope.group,
            func.sum(case((ActivityRecord.type == "visit", 1), else_=0)),
            func.sum(ActivityRecord.duration_minutes),
            ActivityRecord.cost_currency,
            total(ActivityRecord.cost),
        )
        .select_from(AccountEntry)
        .join(ActivityRecord, _same_account(ActivityRecord))
        .where(
            ActivityRecord.deleted.is_(False),
            ActivityRecord.started_at >= start,
            ActivityRecord.started_at < end,
        )
        .group_by(scope.group, ActivityRecord.cost_currency)
    )
    return list((await session.execute(query)).all())


async def active_contracts(session: AsyncSession, scope: PortfolioScope) -> list[Any]:
    """(group, tier, accounts with an active contract of that tier) among customers."""
    query = scope.narrow(
        select(scope.group, ContractRecord.tier, func.count(func.distinct(AccountEntry.account_id)))
        .select_from(AccountEntry)
        .join(ContractRecord, _same_account(ContractRecord))
        .where(ContractRecord.status == "active", AccountEntry.status != "closed")
        .group_by(scope.group, ContractRecord.tier)
    )
    return list((await session.execute(query)).all())


async def customers_with_active_contract(session: AsyncSession, scope: PortfolioScope) -> list[Any]:
    """(group, accounts with at least one active contract)."""
    query = scope.narrow(
        select(scope.group, func.count(func.distinct(AccountEntry.account_id)))
        .select_from(AccountEntry)
        .join(ContractRecord, _same_account(ContractRecord))
        .where(ContractRecord.status == "active", AccountEntry.status != "closed")
        .group_by(scope.group)
    )
    return list((await session.execute(query)).all())
