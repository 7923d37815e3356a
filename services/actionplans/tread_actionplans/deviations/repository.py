from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import Select, Table, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.deviations.models import CorrectiveAction, Deviation, NewDeviation
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.repository import within_plan_scope
from tread_shared.auth.principal import Principal

_DEVIATIONS = cast(Table, Deviation.__table__)
_DEVIATION_COLUMNS = [column.key for column in _DEVIATIONS.columns]


async def insert_deviations(session: AsyncSession, deviations: Sequence[NewDeviation]) -> None:
    """Write new deviations as rows, in one statement (they are not added to the session)."""
    if deviations:
        rows = [{name: getattr(d, name) for name in _DEVIATION_COLUMNS} for d in deviations]
        await session.execute(insert(_DEVIATIONS), rows)


async def for_contract(
    session: AsyncSession, plan_id: uuid.UUID, contract_id: uuid.UUID
) -> Deviation | None:
    query = select(Deviation).where(
        Deviation.plan_id == plan_id, Deviation.contract_id == contract_id
    )
    deviation: Deviation | None = await session.scalar(query)
    return deviation


@dataclass(frozen=True)
class DeviationFilters:
    plan_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    status: str | None = None
    cause: str | None = None
    origin: str | None = None


def visible_deviations(principal: Principal, filters: DeviationFilters) -> Select[Deviation]:
    query = within_plan_scope(select(Deviation).join(Plan, Plan.id == Deviation.plan_id), principal)
    if filters.plan_id is not None:
        query = query.where(Deviation.plan_id == filters.plan_id)
    if filters.account_id is not None:
        query = query.where(Plan.account_id == filters.account_id)
    if filters.status is not None:
        query = query.where(Deviation.status == filters.status)
    if filters.cause is not None:
        query = query.where(Deviation.cause == filters.cause)
    if filters.origin is not None:
        query = query.where(Deviation.origin == filters.origin)
    return query


@dataclass(frozen=True)
class ActionFilters:
    plan_id: uuid.UUID | None = None
    deviation_id: uuid.UUID | None = None
    owner_id: str | None = None
    status: str | None = None
    overdue_on: date | None = None


def visible_actions(principal: Principal, filters: ActionFilters) -> Select[CorrectiveAction]:
    query = within_plan_scope(
        select(CorrectiveAction).join(Plan, Plan.id == CorrectiveAction.plan_id), principal
    )
    if filters.plan_id is not None:
        query = query.where(CorrectiveAction.plan_id == filters.plan_id)
    if filters.deviation_id is not None:
        query = query.where(CorrectiveAction.deviation_id == filters.deviation_id)
    if filters.owner_id is not None:
        query = query.where(CorrectiveAction.owner_id == filters.owner_id)
    if filters.status is not None:
        query = query.where(CorrectiveAction.status == filters.status)
    if filters.overdue_on is not None:
        query = query.where(
            CorrectiveAction.status == "open", CorrectiveAction.due_on < filters.overdue_on
        )
    return query


async def unnoticed_overdue(session: AsyncSession, today: date) -> Sequence[uuid.UUID]:
    query = select(CorrectiveAction.id).where(
        CorrectiveAction.status == "open",
        CorrectiveAction.due_on < today,
        CorrectiveAction.overdue_noticed_at.is_(None),
    )
    return (await session.scalars(query)).all()


async def for_periods(
    session: AsyncSession, periods: Sequence[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], Deviation]:
    """The deviations of these (indicator, period) pairs, by pair, in one query."""
    wanted = set(periods)
    if not wanted:
        return {}
    query = select(Deviation).where(tuple_(Deviation.indicator_id, Deviation.period).in_(wanted))
    found: dict[tuple[uuid.UUID, str], Deviation] = {}
    for deviation in (await session.scalars(query)).all():
        assert deviation.indicator_id is not None and deviation.period is not None
        if (deviation.indicator_id, deviation.period) in wanted:
            found[(deviation.indicator_id, deviation.period)] = deviation
    return found
