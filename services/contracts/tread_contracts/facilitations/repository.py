from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.contracts.models import Contract
from tread_contracts.directory.repository import within_scope
from tread_contracts.facilitations.models import (
    Facilitation,
    FacilitationBudget,
    FacilitationGuideline,
)
from tread_shared.auth.principal import Principal


async def guideline(session: AsyncSession, guideline_id: uuid.UUID) -> FacilitationGuideline | None:
    return await session.get(FacilitationGuideline, guideline_id)


def guidelines(active: bool | None = None) -> Select[FacilitationGuideline]:
    query = select(FacilitationGuideline)
    if active is not None:
        query = query.where(FacilitationGuideline.active.is_(active))
    return query


async def get(session: AsyncSession, facilitation_id: uuid.UUID) -> Facilitation | None:
    return await session.get(Facilitation, facilitation_id)


def visible(
    principal: Principal,
    *,
    account_id: uuid.UUID | None = None,
    guideline_id: uuid.UUID | None = None,
    year: int | None = None,
    status: str | None = None,
) -> Select[Facilitation]:
    query = within_scope(select(Facilitation), principal, Facilitation.account_id)
    if account_id is not None:
        query = query.where(Facilitation.account_id == account_id)
    if guideline_id is not None:
        query = query.where(Facilitation.guideline_id == guideline_id)
    if year is not None:
        query = query.where(Facilitation.year == year)
    if status is not None:
        query = query.where(Facilitation.status == status)
    return query


async def budget_for_update(
    session: AsyncSession, account_id: uuid.UUID, guideline_id: uuid.UUID, year: int
) -> FacilitationBudget | None:
    """The budget row, locked until the transaction ends (PostgreSQL; SQLite serialises every
    writing transaction anyway)."""
    return await session.get(
        FacilitationBudget, (account_id, guideline_id, year), with_for_update=True
    )


async def committed_under_program(
    session: AsyncSession, contract: Contract, year: int, currency: str
) -> Decimal:
    """What the account's facilitations of ``year`` resting on a contract of ``contract``'s
    program hold, granted or awaiting approval, in ``currency``; the contract's row is locked
    first, so two requests under different guidelines are counted one after the other."""
    await session.execute(select(Contract.id).where(Contract.id == contract.id).with_for_update())
    same_program = select(Contract.id).where(
        Contract.account_id == contract.account_id, Contract.program_id == contract.program_id
    )
    query = select(func.coalesce(func.sum(Facilitation.amount), 0)).where(
        Facilitation.account_id == contract.account_id,
        Facilitation.year == year,
        Facilitation.currency == currency,
        Facilitation.status.in_(("pending_approval", "granted")),
        Facilitation.contract_id.in_(same_program),
    )
    return Decimal(await session.scalar(query) or 0)


async def budgets(
    session: AsyncSession, account_id: uuid.UUID, year: int
) -> Sequence[FacilitationBudget]:
    query = (
        select(FacilitationBudget)
        .where(FacilitationBudget.account_id == account_id, FacilitationBudget.year == year)
        .order_by(FacilitationBudget.guideline_id)
    )
    return (await session.scalars(query)).all()
