from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from tread_actionplans.directory.access import Approver, PlanWorker, Staff
from tread_actionplans.lifecycle import allowed_steps
from tread_actionplans.plans.service import part_in_scope, plan_in_scope
from tread_actionplans.resources import repository, service
from tread_actionplans.resources.models import ResourceRequest
from tread_actionplans.resources.schemas import (
    CommitmentIn,
    DecisionIn,
    RejectionIn,
    ResourceRequestIn,
    ResourceRequestOut,
)
from tread_actionplans.resources.workflow import MOVES
from tread_shared.app import EventOutbox
from tread_shared.db.listing import list_page, sync_page
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.http.etag import set_etag
from tread_shared.http.pagination import Page, PageParams, page_params
from tread_shared.http.sync import Tombstone, UpdatedSince

router = APIRouter(prefix="/v1", tags=["resource requests"])
Paging = Annotated[PageParams, Depends(page_params)]


def request_out(request: ResourceRequest) -> ResourceRequestOut:
    return ResourceRequestOut(
        id=request.id,
        plan_id=request.plan_id,
        kind=request.kind,
        amount=request.amount,
        currency=request.currency,
        justification=request.justification,
        status=request.status,
        allowed_steps=allowed_steps(MOVES, request.status),
        approved_amount=request.approved_amount,
        committed=request.committed,
        remaining=service.remaining(request),
        requested_by=request.requested_by,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        reason=request.reason,
        created_at=request.created_at,
        updated_at=request.updated_at,
        version=request.version,
    )


def _answer(request: ResourceRequest, response: Response) -> ResourceRequestOut:
    set_etag(response, request.id, request.version)
    return request_out(request)


@router.post("/plans/{plan_id}/resource-requests", status_code=status.HTTP_201_CREATED)
async def make_request(
    plan_id: uuid.UUID,
    data: ResourceRequestIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
    response: Response,
) -> ResourceRequestOut:
    """Ask for money, visits, hours or people-days for the plan, with a justification."""
    plan = await plan_in_scope(session, caller, plan_id)
    request = await service.make_request(session, outbox, caller, plan, data)
    response.headers["Location"] = f"/v1/resource-requests/{request.id}"
    return _answer(request, response)


@router.get("/resource-requests")
async def list_requests(
    session: ReadSession,
    caller: Staff,
    page: Paging,
    updated_since: UpdatedSince = None,
    plan_id: uuid.UUID | None = None,
    status: Literal["requested", "approved", "rejected"] | None = None,
    awaiting: Annotated[
        Literal["me"] | None, Query(description="me: the requests awaiting the caller's decision")
    ] = None,
) -> Page[ResourceRequestOut | Tombstone]:
    """Resource requests of the plans in the caller's scope; ``awaiting=me`` is a manager's
    approvals list."""
    filters = repository.RequestFilters(
        plan_id=plan_id, status=status, awaiting_me=awaiting == "me"
    )
    query = repository.visible(caller, filters)
    listed = await list_page(session, query, ResourceRequest, page, updated_since=updated_since)
    return sync_page(listed, request_out)


@router.get("/resource-requests/{request_id}")
async def get_request(
    request_id: uuid.UUID, session: ReadSession, caller: Staff, response: Response
) -> ResourceRequestOut:
    request, _ = await part_in_scope(session, caller, ResourceRequest, request_id, "request")
    return _answer(request, response)


@router.post("/resource-requests/{request_id}/approve")
async def approve_request(
    request_id: uuid.UUID,
    data: DecisionIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: Approver,
    response: Response,
) -> ResourceRequestOut:
    """Approve what was asked, or a smaller ``amount``."""
    request, plan = await part_in_scope(session, caller, ResourceRequest, request_id, "request")
    request = await service.approve(session, outbox, caller, plan, request, data)
    return _answer(request, response)


@router.post("/resource-requests/{request_id}/reject")
async def reject_request(
    request_id: uuid.UUID,
    data: RejectionIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: Approver,
    response: Response,
) -> ResourceRequestOut:
    request, plan = await part_in_scope(session, caller, ResourceRequest, request_id, "request")
    request = await service.reject(session, outbox, caller, plan, request, data.reason)
    return _answer(request, response)


@router.post("/resource-requests/{request_id}/commitments")
async def commit_resources(
    request_id: uuid.UUID,
    data: CommitmentIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
    response: Response,
) -> ResourceRequestOut:
    """Commit part of the approved resources; 422 naming what is left when it would exceed."""
    request, plan = await part_in_scope(session, caller, ResourceRequest, request_id, "request")
    request = await service.commit(session, outbox, caller, plan, request, data)
    return _answer(request, response)
