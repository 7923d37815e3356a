"""Action-plans figures per territory and account manager, over the plans a caller sees: an
account's plan with its account, the others by territory (district managers) and owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.action_plans.models import (
    PlanActionRecord,
    PlanDeviationRecord,
    PlanHistoryRecord,
    PlanIndicatorRecord,
    PlanRecord,
    PlanResourceRecord,
)
from tread_reporting.columns import total
from tread_reporting.directory.models import AccountEntry
from tread_reporting.directory.repository import visible
from tread_shared.auth.principal import Principal, Role


@dataclass(frozen=True)
class PlanScope:
    principal: Principal
    generation: int
    territory: str | None = None
    owner_id: str | None = None

    def _loose(self, model: Any) -> ColumnElement[bool]:
        principal = self.principal
        conditions: list[ColumnElement[bool]] = []
        if principal.has_role(Role.DISTRICT_MANAGER) and principal.territories:
            conditions.append(model.territory.in_(sorted(principal.territories)))
        if principal.has_role(Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER):
            conditions.append(model.owner_id == principal.sub)
        return or_(*conditions) if conditions else false()

    def where(self, model: Any) -> ColumnElement[bool]:
        """Rows of ``model`` in this generation that the caller sees, narrowed by the filters."""
        conditions: list[ColumnElement[bool]] = [model.generation == self.generation]
        if not self.principal.reads_everything:
            accounts = select(AccountEntry.account_id).where(
                visible(self.principal, self.generation)
            )
            conditions.append(
                or_(
                    model.account_id.in_(accounts),
                    and_(model.account_id.is_(None), self._loose(model)),
                )
            )
        if self.territory is not None:
            conditions.append(model.territory == self.territory)
        if self.owner_id is not None:
            conditions.append(model.owner_id == self.owner_id)
        return and_(*conditions) if conditions else true()


async def _grouped(session: AsyncSession, scope: PlanScope, model: Any, *columns: Any) -> list[Any]:
    query = (
        select(model.territory, model.owner_id, *columns, func.count())
        .where(scope.where(model))
        .group_by(model.territory, model.owner_id, *columns)
    )
    return list((await session.execute(query)).all())


async def plans_by_status(session: AsyncSession, scope: PlanScope) -> list[Any]:
    return await _grouped(session, scope, PlanRecord, PlanRecord.status)


async def indicators_by_status(session: AsyncSession, scope: PlanScope) -> list[Any]:
    return await _grouped(session, scope, PlanIndicatorRecord, PlanIndicatorRecord.status)


async def open_deviations_by_cause(session: AsyncSession, scope: PlanScope) -> list[Any]:
    query = (
        select(
            PlanDeviationRecord.territory,
            PlanDeviationRecord.owner_id,
            PlanDeviationRecord.cause,
            func.count(),
        )
        .where(scope.where(PlanDeviationRecord), PlanDeviationRecord.status == "open")
        .group_by(
            PlanDeviationRecord.territory, PlanDeviationRecord.owner_id, PlanDeviationRecord.cause
        )
    )
    return list((await session.execute(query)).all())


async def open_actions(session: AsyncSession, scope: PlanScope, today: date) -> list[Any]:
    """(territory, owner, open, overdue) per group."""
    overdue = func.sum(case((PlanActionRecord.due_on < today, 1), else_=0))
    query = (
        select(PlanActionRecord.territory, PlanActionRecord.owner_id, func.count(), overdue)
        .where(scope.where(PlanActionRecord), PlanActionRecord.status == "open")
        .group_by(PlanActionRecord.territory, PlanActionRecord.owner_id)
    )
    return list((await session.execute(query)).all())


async def resources(session: AsyncSession, scope: PlanScope) -> list[Any]:
    model = PlanResourceRecord
    query = (
        select(
            model.territory,
            model.owner_id,
            model.kind,
            model.currency,
            total(model.approved),
            total(model.committed),
        )
        .where(scope.where(model), model.status == "approved")
        .group_by(model.territory, model.owner_id, model.kind, model.currency)
    )
    return list((await session.execute(query)).all())


async def states_at(session: AsyncSession, scope: PlanScope, moment: datetime) -> list[Any]:
    """Each entity's state after its last change before ``moment``: (entity, territory,
    owner_id, status, detail, due_on, currency, approved, committed)."""
    history = PlanHistoryRecord
    newest = func.row_number().over(
        partition_by=(history.entity, history.entity_id), order_by=history.version.desc()
    )
    ranked = (
        select(
            history.generation,
            history.entity,
            history.account_id,
            history.territory,
            history.owner_id,
            history.status,
            history.detail,
            history.due_on,
            history.currency,
            history.approved,
            history.committed,
            newest.label("newest"),
        )
        .where(history.generation == scope.generation, history.occurred_at < moment)
        .subquery()
    )
    # Scope on the state at the moment: a plan moved to another territory since reads as it was.
    query = select(
        ranked.c.entity,
        ranked.c.territory,
        ranked.c.owner_id,
        ranked.c.status,
        ranked.c.detail,
        ranked.c.due_on,
        ranked.c.currency,
        ranked.c.approved,
        ranked.c.committed,
    ).where(ranked.c.newest == 1, scope.where(ranked.c))
    return list((await session.execute(query)).all())
