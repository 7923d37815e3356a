from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.contracts.models import Contract, ContractSignature, RenewalNotice
from tread_contracts.directory.repository import within_scope
from tread_shared.auth.principal import Principal


async def get(session: AsyncSession, contract_id: uuid.UUID) -> Contract | None:
    return await session.get(Contract, contract_id)


async def by_offer(session: AsyncSession, offer_id: uuid.UUID) -> Contract | None:
    contract: Contract | None = await session.scalar(
        select(Contract).where(Contract.offer_id == offer_id)
    )
    return contract


async def active_for(
    session: AsyncSession, account_id: uuid.UUID, program_id: uuid.UUID | None = None
) -> Sequence[Contract]:
    """The account's active contracts (in one program, when given)."""
    query = select(Contract).where(Contract.account_id == account_id, Contract.status == "active")
    if program_id is not None:
        query = query.where(Contract.program_id == program_id)
    return (await session.scalars(query.order_by(Contract.activated_at.desc()))).all()


def in_force_on(day: date) -> ColumnElement[bool]:
    """A contract is in force on ``day`` when signed by both parties, ``start_date <= day <=
    end_date``, and not terminated before ``day`` (docs/rules.md). The same rule for the API's
    filter, compliance and, from the events, reporting."""
    countersigned = exists().where(
        ContractSignature.contract_id == Contract.id, ContractSignature.party == "manufacturer"
    )
    return and_(
        countersigned,
        Contract.start_date <= day,
        Contract.end_date >= day,
        or_(
            Contract.status != "terminated",
            Contract.ended_at >= datetime.combine(day, time.min, UTC),
        ),
    )


def visible(
    principal: Principal,
    *,
    today: date,
    account_id: uuid.UUID | None = None,
    program_id: uuid.UUID | None = None,
    status: str | None = None,
    renewal_due_within_days: int | None = None,
    in_force: date | None = None,
) -> Select[Contract]:
    query = within_scope(select(Contract), principal, Contract.account_id)
    if account_id is not None:
        query = query.where(Contract.account_id == account_id)
    if program_id is not None:
        query = query.where(Contract.program_id == program_id)
    if status is not None:
        query = query.where(Contract.status == status)
    if in_force is not None:
        query = query.where(in_force_on(in_force))
    if renewal_due_within_days is not None:
        query = query.where(
            Contract.status == "active",
            Contract.end_date >= today,
            Contract.end_date <= today + timedelta(days=renewal_due_within_days),
        )
    return query


async def ended_active_ids(session: AsyncSession, today: date) -> Sequence[uuid.UUID]:
    query = select(Contract.id).where(Contract.status == "active", Contract.end_date < today)
    return (await session.scalars(query)).all()


async def scheduled_starting_ids(session: AsyncSession, today: date) -> Sequence[uuid.UUID]:
    query = select(Contract.id).where(Contract.status == "scheduled", Contract.start_date <= today)
    return (await session.scalars(query.order_by(Contract.start_date))).all()


async def signed_by_both_in(
    session: AsyncSession, account_id: uuid.UUID, program_id: uuid.UUID, first: date, last: date
) -> Sequence[Contract]:
    """The account's scheduled or active contracts of a program whose period overlaps
    ``first``-``last``."""
    query = select(Contract).where(
        Contract.account_id == account_id,
        Contract.program_id == program_id,
        Contract.status.in_(("scheduled", "active")),
        Contract.start_date <= last,
        Contract.end_date >= first,
    )
    return (await session.scalars(query)).all()


async def active_ids(session: AsyncSession) -> Sequence[uuid.UUID]:
    return (await session.scalars(select(Contract.id).where(Contract.status == "active"))).all()


async def unnoticed_renewals(
    session: AsyncSession, today: date, window_days: int
) -> Sequence[uuid.UUID]:
    """Active contracts ending within ``window_days`` that were not yet noticed for it."""
    query = (
        select(Contract.id)
        .outerjoin(
            RenewalNotice,
            and_(
                RenewalNotice.contract_id == Contract.id,
                RenewalNotice.window_days == window_days,
            ),
        )
        .where(
            Contract.status == "active",
            Contract.end_date >= today,
            Contract.end_date <= today + timedelta(days=window_days),
            RenewalNotice.contract_id.is_(None),
        )
    )
    return (await session.scalars(query)).all()
