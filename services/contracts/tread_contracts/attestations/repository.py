from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.attestations.models import Attestation


async def latest(
    session: AsyncSession, contract_id: uuid.UUID, requirement: str, attested_before: datetime
) -> Attestation | None:
    """The contract's latest attestation of ``requirement`` made before ``attested_before``."""
    query = (
        select(Attestation)
        .where(
            Attestation.contract_id == contract_id,
            Attestation.requirement == requirement,
            Attestation.attested_at < attested_before,
        )
        .order_by(Attestation.attested_at.desc(), Attestation.id.desc())
        .limit(1)
    )
    attestation: Attestation | None = await session.scalar(query)
    return attestation


async def of_contract(session: AsyncSession, contract_id: uuid.UUID) -> Sequence[Attestation]:
    query = (
        select(Attestation)
        .where(Attestation.contract_id == contract_id)
        .order_by(Attestation.attested_at, Attestation.id)
    )
    return (await session.scalars(query)).all()
