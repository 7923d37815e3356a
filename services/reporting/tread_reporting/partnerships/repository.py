"""Partnership queries. An account's partnership is its contract of greatest ``rank``,
marked ``current``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, Select, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.business.models import CreditRecord, SellInRecord
from tread_reporting.cases.models import CLOSED_STATUSES, CaseRecord
from tread_reporting.directory.models import AccountEntry
from tread_reporting.partnerships.models import (
    AuditRecord,
    ComplianceRecord,
    ContractRecord,
    FacilitationRecord,
    RebateRecord,
)
from tread_reporting.timeline.models import Milestone
from tread_shared.auth.principal import Principal
from tread_shared.auth.scope import ScopeShape, account_scope_bound, account_scope_shape
from tread_shared.db.reading import Reader
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
    contracts, accounts = ContractRecord.__table__.c, AccountEntry.__table__.c
    return and_(
        contracts.generation == accounts.generation,
        contracts.account_id == accounts.account_id,
        contracts.current.is_(True),
    )


async def page(
    reads: Reader,
    principal: Principal,
    generation: int,
    filters: PartnershipFilters,
    params: PageParams,
    today: date,
) -> tuple[list[Row[Any]], str | None]:
    """A page of accounts with their partnership, in one statement built once per shape of the
    request, its values bound (the scope's, the filters', the cursor's). Each row: the
    account (``account_id``, ``account_name``, ``owner_id``, ``territory``), its partnership
    contract (``contract_id``, ``contract_status``, ``program_id``, ``program_name``,
    ``tier``, ``start_date``, ``end_date``: all ``None`` when it has none), the overall
    scores of its latest two audits (``latest_score``, ``previous_score``) and its number of
    open cases (``open_cases``)."""
    shape, values = account_scope_shape(principal)
    values["generation"] = generation
    values["page_limit"] = params.limit + 1
    given = tuple(name for name in _FILTERS if getattr(filters, name) is not None)
    for name in given:
        values[name] = getattr(filters, name)
    status = filters.status
    if status is not None and status != "none":
        values["status"] = status
        status = "equal"
    renewal = filters.renewal_due_within_days is not None
    if filters.renewal_due_within_days is not None:
        values["today"] = today
        values["horizon"] = date.fromordinal(today.toordinal() + filters.renewal_due_within_days)
    if params.cursor:
        (last,) = decode_cursor(params.cursor, 1)
        try:
            values["after"] = uuid.UUID(last)
        except ValueError as exc:
            raise Problem("The cursor is not valid.", status=400, slug="invalid-cursor") from exc
    statement = _page(shape, given, status, renewal, bool(params.cursor))
    rows = await reads.all(statement, values)
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor(rows[-1].account_id)


# Filters compared for equality, each a bound parameter of the same name.
_FILTERS = ("territory", "owner_id", "program_id", "tier")


def _latest_score(offset: int) -> Any:
    """The overall score of the account's audit ``offset`` (0: the latest), as ``audits_of``
    orders them."""
    audits = AuditRecord.__table__.c
    accounts = AccountEntry.__table__.c
    return (
        select(audits.overall_score)
        .where(audits.generation == accounts.generation, audits.account_id == accounts.account_id)
        .order_by(audits.performed_at.desc(), audits.audit_id)
        .limit(1)
        .offset(offset)
        .scalar_subquery()
    )


@lru_cache(maxsize=256)
def _page(
    shape: ScopeShape, given: tuple[str, ...], status: str | None, renewal: bool, after: bool
) -> Select[Any]:
    accounts = AccountEntry.__table__.c
    contracts = ContractRecord.__table__.c
    cases = CaseRecord.__table__.c
    open_cases = (
        select(func.count())
        .where(
            cases.generation == accounts.generation,
            cases.account_id == accounts.account_id,
            cases.status.not_in(CLOSED_STATUSES),
        )
        .scalar_subquery()
    )
    visible = account_scope_bound(
        shape,
        owner_id=AccountEntry.owner_id,
        territory=AccountEntry.territory,
        key_account_manager_id=AccountEntry.key_account_manager_id,
    )
    query = (
        select(
            accounts.account_id,
            accounts.name.label("account_name"),
            accounts.owner_id,
            accounts.territory,
            contracts.contract_id,
            contracts.status.label("contract_status"),
            contracts.program_id,
            contracts.program_name,
            contracts.tier,
            contracts.start_date,
            contracts.end_date,
            _latest_score(0).label("latest_score"),
            _latest_score(1).label("previous_score"),
            open_cases.label("open_cases"),
        )
        .select_from(AccountEntry.__table__)
        .outerjoin(ContractRecord.__table__, partnership_join())
        .where(
            accounts.generation == bindparam("generation"),
            accounts.deleted.is_(False),
            visible,
        )
    )
    columns = {
        "territory": accounts.territory,
        "owner_id": accounts.owner_id,
        "program_id": contracts.program_id,
        # coalesce(): the join stays an outer one for the planner, which then walks accounts
        # in page order rather than every contract of a tier, then sorts.
        "tier": func.coalesce(contracts.tier, ""),
    }
    for name in given:
        query = query.where(columns[name] == bindparam(name))
    if status == "none":
        query = query.where(contracts.contract_id.is_(None))
    elif status == "equal":
        query = query.where(func.coalesce(contracts.status, "") == bindparam("status"))
    if renewal:
        query = query.where(
            contracts.status.in_(IN_FORCE),
            contracts.end_date >= bindparam("today"),
            contracts.end_date <= bindparam("horizon"),
        )
    if after:
        query = query.where(accounts.account_id > bindparam("after"))
    return query.order_by(accounts.account_id).limit(bindparam("page_limit"))


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
