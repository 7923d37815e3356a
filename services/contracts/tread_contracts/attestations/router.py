from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from tread_contracts.attestations import service
from tread_contracts.attestations.schemas import AttestationIn, AttestationList, AttestationOut
from tread_contracts.compliance.policy import CompliancePolicy
from tread_contracts.directory.access import PortfolioWorker, Staff
from tread_contracts.settings import ContractsSettings
from tread_shared.app import EventOutbox
from tread_shared.db.session import DbSession

router = APIRouter(prefix="/v1/contracts", tags=["attestations"])


@router.post(
    "/{contract_id}/attestations",
    status_code=status.HTTP_201_CREATED,
    response_model=AttestationOut,
)
async def attest_requirement(
    contract_id: uuid.UUID,
    data: AttestationIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    settings: ContractsSettings,
) -> AttestationOut:
    """Attest, with evidence, where the contract stands on one of its named requirements (the
    tier's other requirements, the contract's ``other`` commitments): compliance counts it."""
    policy = CompliancePolicy.of(settings)
    return await service.record_attestation(session, outbox, caller, contract_id, data, policy)


@router.get("/{contract_id}/attestations", response_model=AttestationList)
async def list_attestations(
    contract_id: uuid.UUID, session: DbSession, caller: Staff
) -> AttestationList:
    """Every attestation of the contract, oldest first: who attested what, when, on what
    evidence."""
    return AttestationList(items=list(await service.attestations_of(session, caller, contract_id)))
