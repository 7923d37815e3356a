from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.audits.models import Audit
from tread_contracts.contracts.models import Contract
from tread_contracts.directory.repository import within_scope
from tread_shared.auth.principal import Principal


async def get(session: AsyncSession, audit_id: uuid.UUID) -> Audit | None:
    return await session.get(Audit, audit_id)


async def latest_for_contract(
    session: AsyncSession, contract: Contract, performed_before: datetime
) -> Audit | None:
    """The contract's latest audit performed before ``performed_before``: its own, or a
    pre-partnership audit of its account in its program (the audit that decided it)."""
    pre_partnership = and_(
        Audit.contract_id.is_(None),
        Audit.account_id == contract.account_id,
        Audit.program_id == contract.program_id,
    )
    query = (
        select(Audit)
        .where(
            or_(Audit.contract_id == contract.id, pre_partnership),
            Audit.performed_at < performed_before,
        )
        .order_by(Audit.performed_at.desc(), Audit.id.desc())
        .limit(1)
    )
    audit: Audit | None = await session.scalar(query)
    return audit


def visible(
    principal: Principal,
    *,
    account_id: uuid.UUID | None = None,
    contract_id: uuid.UUID | None = None,
) -> Select[Audit]:
    query = within_scope(select(Audit), principal, Audit.account_id)
    if account_id is not None:
        query = query.where(Audit.account_id == account_id)
    if contract_id is not None:
        query = query.where(Audit.contract_id == contract_id)
    return query
