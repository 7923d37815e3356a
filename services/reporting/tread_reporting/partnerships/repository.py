"""Partnership queries. An account's partnership is its contract of greatest ``rank``,
marked ``current``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.business.models import CreditRecord, SellInRecord
from tread_reporting.cases.models import CLOSED_STATUSES, CaseRecord
from tread_reporting.directory.models import AccountEntry
from tread_reporting.directory.repository import visible
from tread_reporting.partnerships.models import (
    AuditRecord,
    ComplianceRecord,
    ContractRecord,
    FacilitationRecord,
    RebateRecord,
)
from tread_reporting.timeline.models import Milestone
from tread_shared.auth.principal import Principal
from tread_shared.errors import Problem
from tread_shared.http.pagination import PageParams, decode_cursor, encode_cursor

# Contracts whose end date is a renewal date: in force, or signed and waiting for their start.
IN_FORCE = ("active", "scheduled", "signed")


@dataclass(frozen=True)
class PartnershipFilters:
    territory: str | None = None
    owner_id: str | None = None
    program_id: uuid.UUID | None = None
    tier: str | None = None
    status: str | None = None
    renewal_due_within_days: int | None = None


def partnership_join() -> Any:
    """Accounts to their partnership contract (at most one is ``current``)."""
    return and_(
        ContractRecord.generation == AccountEntry.generation,
        ContractRecord.account_id == AccountEntry.account_id,
        ContractRecord.current.is_(True),
    )


async def page(
    session: AsyncSession,
    principal: Principal,
    generation: int,
    filters: PartnershipFilters,
    params: PageParams,
    today: date,
) -> tuple[list[tuple[AccountEntry, ContractRecord | None]], str | None]:
    query = (
        select(AccountEntry, ContractRecord)
        .outerjoin(ContractRecord, partnership_join())
        .where(visible(principal, generation))
        .order_by(AccountEntry.account_id)
    )
    if filters.territory is not None:
        query = query.where(AccountEntry.territory == filters.territory)
    if filters.owner_id is not None:
        query = query.where(AccountEntry.owner_id == filters.owner_id)
    if filters.program_id is not None:
        query = query.where(ContractRecord.program_id == filters.program_id)
    # coalesce(): the join stays an outer one for the planner, which then walks accounts in
    # page order rather than every contract of a tier, then sorts.
    if filters.tier is not None:
        query = query.where(func.coalesce(ContractRecord.tier, "") == filters.tier)
    if filters.status == "none":
        query = query.where(ContractRecord.contract_id.is_(None))
    elif filters.status is not None:
        query = query.where(func.coalesce(ContractRecord.status, "") == filters.status)
    if filters.renewal_due_within_days is not None:
        horizon = date.fromordinal(today.toordinal() + filters.renewal_due_within_days)
        query = query.where(
            ContractRecord.status.in_(IN_FORCE),
            ContractRecord.end_date >= today,
            ContractRecord.end_date <= horizon,
        )
    if params.cursor:
        (last,) = decode_cursor(params.cursor, 1)
        try:
            query = query.where(AccountEntry.account_id > uuid.UUID(last))
        except ValueError as exc:
            raise Problem("The cursor is not valid.", status=400, slug="invalid-cursor") from exc
    rows: list[tuple[AccountEntry, ContractRecord | None]] = [
        (a, c) for a, c in (await session.execute(query.limit(params.limit + 1))).all()
    ]
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor(rows[-1][0].account_id)


async def contracts_of(
    session: AsyncSession, generation: int, account_id: uuid.UUID
) -> Sequence[ContractRecord]:
    """The account's contracts, its partnership first."""
    query = (
        select(ContractRecord)
        .where(ContractRecord.generation == generation, ContractRecord.account_id == account_id)
        .order_by(ContractRecord.rank.desc())
    )
    return (await session.scalars(query)).all()


async def audits_of(
    session: AsyncSession, generation: int, account_ids: Sequence[uuid.UUID]
) -> Sequence[AuditRecord]:
    """Audits of these accounts, latest first."""
    if not account_ids:
        return []
    query = (
        select(AuditRecord)
        .where(AuditRecord.generation == generation, AuditRecord.account_id.in_(account_ids))
        .order_by(AuditRecord.account_id, AuditRecord.performed_at.desc(), AuditRecord.audit_id)
    )
    return (await session.scalars(query)).all()


async def open_cases_by_category(
    session: AsyncSession, generation: int, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    if not account_ids:
        return {}
    query = (
        select(CaseRecord.account_id, CaseRecord.category, func.count())
        .where(
            CaseRecord.generation == generation,
            CaseRecord.account_id.in_(account_ids),
            CaseRecord.status.not_in(CLOSED_STATUSES),
        )
        .group_by(CaseRecord.account_id, CaseRecord.category)
    )
    found: dict[uuid.UUID, dict[str, int]] = {}
    for account_id, category, count in (await session.execute(query)).all():
        found.setdefault(account_id, {})[category] = count
    return found


async def sell_in_of(
    session: AsyncSession, generation: int, account_id: uuid.UUID
) -> Sequence[SellInRecord]:
    query = select(SellInRecord).where(
        SellInRecord.generation == generation, SellInRecord.account_id == account_id
    )
    return (await session.scalars(query)).all()


async def facilitations_of(
    session: AsyncSession, generation: int, account_id: uuid.UUID, year: int
) -> Sequence[FacilitationRecord]:
    query = (
        select(FacilitationRecord)
        .where(
            FacilitationRecord.generation == generation,
            FacilitationRecord.account_id == account_id,
            FacilitationRecord.year == year,
        )
        .order_by(FacilitationRecord.facilitation_id)
    )
    return (await session.scalars(query)).all()


async def spendings_of(
    session: AsyncSession, generation: int, facilitation_ids: Sequence[uuid.UUID]
) -> Sequence[Milestone]:
    if not facilitation_ids:
        return []
    query = select(Milestone).where(
        Milestone.generation == generation,
        Milestone.entity == "facilitation",
        Milestone.entity_id.in_(facilitation_ids),
        Milestone.milestone.like("spent_%"),
    )
    return (await session.scalars(query)).all()


async def compliance_of(
    session: AsyncSession, generation: int, contract_id: uuid.UUID
) -> ComplianceRecord | None:
    return await session.get(ComplianceRecord, (generation, contract_id))


async def credit_of(
    session: AsyncSession, generation: int, account_id: uuid.UUID
) -> CreditRecord | None:
    return await session.get(CreditRecord, (generation, account_id))


async def rebates_of(
    session: AsyncSession, generation: int, account_id: uuid.UUID
) -> Sequence[RebateRecord]:
    """The rebates the account's contracts earned, latest period first."""
    query = (
        select(RebateRecord)
        .where(RebateRecord.generation == generation, RebateRecord.account_id == account_id)
        .order_by(RebateRecord.period_end.desc(), RebateRecord.contract_id)
    )
    return (await session.scalars(query)).all()
