from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status

from tread_contracts.compliance.policy import CompliancePolicy
from tread_contracts.contracts import repository, service
from tread_contracts.contracts.events import signature_record
from tread_contracts.contracts.models import Contract
from tread_contracts.contracts.schemas import (
    CommitmentIn,
    ContractAmendIn,
    ContractIn,
    ContractOut,
    ContractPage,
    ContractStatus,
    RenewalIn,
    SignatureIn,
    TerminationIn,
)
from tread_contracts.contracts.terms import tier_terms
from tread_contracts.directory.access import PortfolioWorker, Staff
from tread_contracts.listing import UpdatedSince
from tread_contracts.settings import ContractsSettings
from tread_shared.app import EventOutbox
from tread_shared.clock import utcnow
from tread_shared.dates import PlausibleDate
from tread_shared.db.concurrency import flush_changes
from tread_shared.db.listing import list_page
from tread_shared.db.reading import Reads, ReadSession
from tread_shared.db.session import DbSession
from tread_shared.http.etag import check_if_match, set_etag
from tread_shared.http.pagination import PageParams, page_params
from tread_shared.trusted import trusted

router = APIRouter(prefix="/v1/contracts", tags=["contracts"])


def contract_out(contract: Contract | repository.ContractRead) -> ContractOut:
    tier = tier_terms(contract)
    awaiting = {"submitted": "customer", "signed": "manufacturer"}.get(contract.status)
    # From typed columns and the validated tier: not validated again (tread_shared.trusted);
    # the commitments, stored JSON, are.
    return trusted(
        ContractOut,
        id=contract.id,
        account_id=contract.account_id,
        program_id=contract.program_id,
        program_name=contract.program_terms.name,
        program_version=contract.program_version,
        tier=contract.tier,
        rebate_pct=tier.rebate_pct,
        facilitation_budget=tier.facilitation_budget,
        start_date=contract.start_date,
        end_date=contract.end_date,
        status=contract.status,
        awaiting_signature_of=awaiting,
        commitments=[CommitmentIn.model_validate(c) for c in contract.commitments],
        terms=contract.terms,
        signatures=[signature_record(signature) for signature in contract.signatures],
        offer_id=contract.offer_id,
        renews_contract_id=contract.renews_contract_id,
        renewal_contract_id=contract.renewal_contract_id,
        submitted_at=contract.submitted_at,
        activated_at=contract.activated_at,
        ended_at=contract.ended_at,
        ended_by=contract.ended_by,
        termination_reason=contract.termination_reason,
        created_by=contract.created_by,
        created_at=contract.created_at,
        updated_at=contract.updated_at,
    )


def _answer(contract: Contract | repository.ContractRead, response: Response) -> ContractOut:
    set_etag(response, contract.id, contract.version)
    return contract_out(contract)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ContractOut)
async def create_contract(
    data: ContractIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    response: Response,
) -> ContractOut:
    """Write a draft contract for an account (or from an accepted offer)."""
    contract = await service.create_contract(session, outbox, caller, data)
    response.headers["Location"] = f"/v1/contracts/{contract.id}"
    return _answer(contract, response)


@router.get("", response_model=ContractPage)
async def list_contracts(
    session: ReadSession,
    caller: Staff,
    page: Annotated[PageParams, Depends(page_params)],
    updated_since: UpdatedSince,
    account_id: uuid.UUID | None = None,
    program_id: uuid.UUID | None = None,
    status: ContractStatus | None = None,
    renewal_due_within_days: Annotated[
        int | None, Query(ge=0, le=3660, description="Active contracts ending within N days")
    ] = None,
    in_force_on: Annotated[
        PlausibleDate | None,
        Query(
            description="Contracts in force on this day: signed by both parties, the day within "
            "their period, not terminated before it"
        ),
    ] = None,
) -> ContractPage:
    """Contracts of the accounts in the caller's scope."""
    query = repository.visible(
        caller,
        today=utcnow().date(),
        account_id=account_id,
        program_id=program_id,
        status=status,
        renewal_due_within_days=renewal_due_within_days,
        in_force=in_force_on,
    )
    listed = await list_page(session, query, Contract, page, updated_since=updated_since)
    return ContractPage(
        items=[contract_out(c) for c in listed.rows], next_cursor=listed.next_cursor
    )


@router.get("/{contract_id}", response_model=ContractOut)
async def get_contract(
    contract_id: uuid.UUID, reads: Reads, caller: Staff, response: Response
) -> ContractOut:
    contract = await service.contract_to_read(reads, caller, contract_id)
    return _answer(contract, response)


@router.patch("/{contract_id}", response_model=ContractOut)
async def amend_contract(
    contract_id: uuid.UUID,
    data: ContractAmendIn,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    response: Response,
) -> ContractOut:
    """Change a draft (``If-Match`` required); it moves to the program's latest version."""
    contract = await service.contract_in_scope(session, caller, contract_id)
    check_if_match(request, contract.id, contract.version)
    contract = await service.amend_contract(session, outbox, caller, contract, data)
    await flush_changes(session)
    return _answer(contract, response)


@router.post("/{contract_id}/submit", response_model=ContractOut)
async def submit_contract(
    contract_id: uuid.UUID,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    response: Response,
) -> ContractOut:
    """Send the draft out for signature; its terms are frozen from now on."""
    contract = await service.contract_in_scope(session, caller, contract_id)
    return _answer(await service.submit_contract(session, outbox, caller, contract), response)


@router.post("/{contract_id}/sign", response_model=ContractOut)
async def sign_contract(
    contract_id: uuid.UUID,
    signature: SignatureIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    settings: ContractsSettings,
    response: Response,
) -> ContractOut:
    """Record a signature: the customer's first, then the manufacturer's countersignature (by a
    manager), which brings the contract into force, or schedules it for its start date."""
    contract = await service.contract_in_scope(session, caller, contract_id)
    policy = CompliancePolicy.of(settings)
    contract = await service.sign_contract(session, outbox, caller, contract, signature, policy)
    return _answer(contract, response)


@router.post(
    "/{contract_id}/renew", status_code=status.HTTP_201_CREATED, response_model=ContractOut
)
async def renew_contract(
    contract_id: uuid.UUID,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    response: Response,
    data: Annotated[RenewalIn | None, Body()] = None,
) -> ContractOut:
    """Draft the renewal for the next period; this contract becomes ``renewed`` once the
    renewal is active. Answers the new draft."""
    contract = await service.contract_in_scope(session, caller, contract_id)
    renewal = await service.renew_contract(session, outbox, caller, contract, data or RenewalIn())
    response.headers["Location"] = f"/v1/contracts/{renewal.id}"
    return _answer(renewal, response)


@router.post("/{contract_id}/terminate", response_model=ContractOut)
async def terminate_contract(
    contract_id: uuid.UUID,
    data: TerminationIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    response: Response,
) -> ContractOut:
    """End the contract early, with a reason."""
    contract = await service.contract_in_scope(session, caller, contract_id)
    contract = await service.terminate_contract(session, outbox, caller, contract, data.reason)
    return _answer(contract, response)
