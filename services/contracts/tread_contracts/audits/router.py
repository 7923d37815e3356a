from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from tread_contracts.audits import repository, service
from tread_contracts.audits.models import Audit
from tread_contracts.audits.schemas import AuditIn, AuditOut, AuditPage, CriterionScoreOut, GapOut
from tread_contracts.compliance.policy import CompliancePolicy
from tread_contracts.directory.access import PortfolioWorker, Staff
from tread_contracts.listing import UpdatedSince
from tread_contracts.settings import ContractsSettings
from tread_shared.app import EventOutbox
from tread_shared.db.listing import list_page
from tread_shared.db.session import DbSession
from tread_shared.http.etag import set_etag
from tread_shared.http.pagination import PageParams, page_params

router = APIRouter(prefix="/v1/audits", tags=["audits"])


def audit_out(audit: Audit) -> AuditOut:
    return AuditOut(
        id=audit.id,
        account_id=audit.account_id,
        contract_id=audit.contract_id,
        program_id=audit.program_id,
        program_version=audit.program_version,
        tier=audit.tier,
        performed_at=audit.performed_at,
        auditor=audit.auditor,
        scores=[CriterionScoreOut.model_validate(s, from_attributes=True) for s in audit.scores],
        overall_score=audit.overall_score,
        gaps=[GapOut.model_validate(gap) for gap in audit.gaps],
        recorded_by=audit.recorded_by,
        created_at=audit.created_at,
        updated_at=audit.updated_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AuditOut)
async def record_audit(
    data: AuditIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    settings: ContractsSettings,
    response: Response,
) -> AuditOut:
    """Record a partnership audit; the answer gives the overall score and the gaps against the
    contract's requirements."""
    policy = CompliancePolicy.of(settings)
    audit = await service.record_audit(session, outbox, caller, data, policy)
    response.headers["Location"] = f"/v1/audits/{audit.id}"
    set_etag(response, audit.id, audit.version)
    return audit_out(audit)


@router.get("", response_model=AuditPage)
async def list_audits(
    session: DbSession,
    caller: Staff,
    page: Annotated[PageParams, Depends(page_params)],
    updated_since: UpdatedSince,
    account_id: uuid.UUID | None = None,
    contract_id: uuid.UUID | None = None,
) -> AuditPage:
    """Audits in the caller's scope in the order they were recorded: with ``account_id``, the
    account's audit history."""
    query = repository.visible(caller, account_id=account_id, contract_id=contract_id)
    listed = await list_page(session, query, Audit, page, updated_since=updated_since)
    return AuditPage(items=[audit_out(a) for a in listed.rows], next_cursor=listed.next_cursor)


@router.get("/{audit_id}", response_model=AuditOut)
async def get_audit(
    audit_id: uuid.UUID, session: DbSession, caller: Staff, response: Response
) -> AuditOut:
    audit = await service.audit_in_scope(session, caller, audit_id)
    set_etag(response, audit.id, audit.version)
    return audit_out(audit)
