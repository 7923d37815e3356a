from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.contracts.models import Contract, ContractSignature, RenewalNotice
from tread_contracts.directory.models import AccountDirectory
from tread_contracts.directory.repository import within_scope
from tread_contracts.programs.models import ProgramVersion
from tread_shared.auth.principal import Principal
from tread_shared.db.reading import Reader
from tread_shared.db.row_parts import RowPart, labelled_columns
from tread_shared.directory.handlers import SCOPE_COLUMNS


async def get(session: AsyncSession, contract_id: uuid.UUID) -> Contract | None:
    return await session.get(Contract, contract_id)


class ContractRead:
    """A contract read to be rendered: its columns as attributes (read-only), its program
    version's name, number and tiers (``program_terms``), its signatures oldest first, and its
    account's directory entry (``None`` when the directory has none)."""

    __slots__ = ("_row", "directory_entry", "program_terms", "signatures")
    program_terms: Any
    signatures: list[Any]
    directory_entry: Any

    def __init__(self, rows: Sequence[Any]) -> None:
        first = rows[0]
        self._row = first
        self.program_terms = RowPart(first, "terms_")
        self.directory_entry = (
            RowPart(first, "directory_") if first.directory_account_id is not None else None
        )
        self.signatures = [
            RowPart(row, "signature_") for row in rows if row.signature_id is not None
        ]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


@cache
def _contract_read() -> Select[Any]:
    # One round trip for what the ORM loads in three: the contract, its program version (never
    # missing: a composite foreign key, not null), its account's directory entry and its
    # signatures, a row each (one row when it has none). Built once, the id bound.
    contracts = Contract.__table__
    versions = ProgramVersion.__table__
    directory = AccountDirectory.__table__
    signatures = ContractSignature.__table__
    return (
        select(
            *labelled_columns(Contract),
            *labelled_columns(ProgramVersion, "terms_", ("name", "number", "tiers")),
            *labelled_columns(AccountDirectory, "directory_", SCOPE_COLUMNS),
            *labelled_columns(ContractSignature, "signature_"),
        )
        .select_from(contracts)
        .join(
            versions,
            (versions.c.program_id == contracts.c.program_id)
            & (versions.c.number == contracts.c.program_version),
        )
        .outerjoin(directory, directory.c.account_id == contracts.c.account_id)
        .outerjoin(signatures, signatures.c.contract_id == contracts.c.id)
        .where(contracts.c.id == bindparam("id"))
        .order_by(signatures.c.signed_at)
    )


async def read(reads: Reader, contract_id: uuid.UUID) -> ContractRead | None:
    """Contract ``contract_id`` to be rendered, in one statement; ``None`` if there is none."""
    rows = await reads.all(_contract_read(), {"id": contract_id})
    return ContractRead(rows) if rows else None


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
