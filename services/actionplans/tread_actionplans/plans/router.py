from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from tread_actionplans.directory.access import Approver, PlanWorker, Staff
from tread_actionplans.lifecycle import allowed_steps
from tread_actionplans.plans import repository, service
from tread_actionplans.plans import status as status_page
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.schemas import (
    BudgetLine,
    PlanAmendIn,
    PlanIn,
    PlanOut,
    PlanStatusOut,
    RejectionIn,
    Stakeholder,
)
from tread_actionplans.plans.workflow import MOVES
from tread_shared.app import EventOutbox
from tread_shared.clock import utcnow
from tread_shared.dates import PlausibleDate
from tread_shared.db.concurrency import flush_changes
from tread_shared.db.listing import list_page, sync_page
from tread_shared.db.reading import Reads, ReadSession
from tread_shared.db.session import DbSession
from tread_shared.events.payloads.actionplans import PlanKind, PlanStatus
from tread_shared.http.etag import check_if_match, set_etag
from tread_shared.http.pagination import Page, PageParams, page_params
from tread_shared.http.sync import Tombstone, UpdatedSince
from tread_shared.trusted import trusted

router = APIRouter(prefix="/v1/plans", tags=["plans"])
Paging = Annotated[PageParams, Depends(page_params)]


def plan_out(plan: Plan | Any) -> PlanOut:
    # Typed columns, not validated again (tread_shared.trusted); the stakeholders and budget
    # lines, stored JSON, are.
    return trusted(
        PlanOut,
        id=plan.id,
        title=plan.title,
        kind=plan.kind,
        scope=plan.scope,
        account_id=plan.account_id,
        territory=plan.territory,
        owner_id=plan.owner_id,
        stakeholders=[Stakeholder.model_validate(s) for s in plan.stakeholders],
        start_date=plan.start_date,
        end_date=plan.end_date,
        reaudit_on=plan.reaudit_on,
        contract_id=plan.contract_id,
        audit_id=plan.audit_id,
        origin=plan.origin,
        budget_lines=[BudgetLine.model_validate(line) for line in plan.budget_lines],
        status=plan.status,
        allowed_steps=allowed_steps(MOVES, plan.status),
        rejection_reason=plan.rejection_reason,
        created_by=plan.created_by,
        submitted_by=plan.submitted_by,
        submitted_at=plan.submitted_at,
        approved_by=plan.approved_by,
        approved_at=plan.approved_at,
        activated_at=plan.activated_at,
        closed_at=plan.closed_at,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
        version=plan.version,
    )


def _answer(plan: Plan, response: Response) -> PlanOut:
    set_etag(response, plan.id, plan.version)
    return plan_out(plan)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_plan(
    data: PlanIn, session: DbSession, outbox: EventOutbox, caller: PlanWorker, response: Response
) -> PlanOut:
    """Draft a plan for an account, a territory or the caller's portfolio."""
    plan = await service.create_plan(session, outbox, caller, data)
    response.headers["Location"] = f"/v1/plans/{plan.id}"
    return _answer(plan, response)


@router.get("")
async def list_plans(
    session: ReadSession,
    caller: Staff,
    page: Paging,
    updated_since: UpdatedSince = None,
    owner_id: Annotated[str | None, Query(max_length=200)] = None,
    account_id: uuid.UUID | None = None,
    territory: Annotated[str | None, Query(max_length=100)] = None,
    kind: PlanKind | None = None,
    status: PlanStatus | None = None,
    active_from: Annotated[
        PlausibleDate | None, Query(description="Plans running on or after")
    ] = None,
    active_to: Annotated[
        PlausibleDate | None, Query(description="Plans running on or before")
    ] = None,
) -> Page[PlanOut | Tombstone]:
    """Plans in the caller's scope (deleted drafts as tombstones with ``updated_since``)."""
    filters = repository.PlanFilters(
        owner_id=owner_id,
        account_id=account_id,
        territory=territory,
        kind=kind,
        status=status,
        active_from=active_from,
        active_to=active_to,
    )
    query = repository.visible(caller, filters)
    listed = await list_page(session, query, Plan, page, updated_since=updated_since)
    return sync_page(listed, plan_out)


@router.get("/approvals")
async def plans_awaiting_me(session: ReadSession, caller: Approver) -> list[PlanOut]:
    """Submitted plans awaiting the caller's decision, oldest first."""
    return [plan_out(plan) for plan in await service.awaiting_approval(session, caller)]


@router.get("/{plan_id}")
async def get_plan(
    plan_id: uuid.UUID, session: ReadSession, caller: Staff, response: Response
) -> PlanOut:
    return _answer(await service.plan_in_scope(session, caller, plan_id), response)


@router.get("/{plan_id}/status")
async def plan_status(plan_id: uuid.UUID, reads: Reads, caller: Staff) -> PlanStatusOut:
    """Every indicator with its latest period (actual, target, status), the objectives, open
    deviations and overdue actions, budget and resources used: what a manager opens before a
    follow-up meeting."""
    return await status_page.plan_status(reads, caller, plan_id, utcnow().date(), plan_out)


@router.patch("/{plan_id}")
async def amend_plan(
    plan_id: uuid.UUID,
    data: PlanAmendIn,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
    response: Response,
) -> PlanOut:
    """Change a draft (``If-Match`` required)."""
    plan = await service.plan_in_scope(session, caller, plan_id)
    check_if_match(request, plan.id, plan.version)
    plan = await service.amend_plan(session, outbox, caller, plan, data)
    await flush_changes(session)
    return _answer(plan, response)


@router.delete("/{plan_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_plan(
    plan_id: uuid.UUID, request: Request, session: DbSession, caller: PlanWorker
) -> None:
    """Withdraw a draft (``If-Match`` required)."""
    plan = await service.plan_in_scope(session, caller, plan_id)
    check_if_match(request, plan.id, plan.version)
    await service.delete_plan(session, plan)
    await flush_changes(session)


@router.post("/{plan_id}/submit")
async def submit_plan(
    plan_id: uuid.UUID,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
    response: Response,
) -> PlanOut:
    """Send the draft for approval."""
    plan = await service.plan_in_scope(session, caller, plan_id)
    return _answer(await service.submit_plan(session, outbox, caller, plan), response)


@router.post("/{plan_id}/approve")
async def approve_plan(
    plan_id: uuid.UUID,
    session: DbSession,
    outbox: EventOutbox,
    caller: Approver,
    response: Response,
) -> PlanOut:
    """Approve a submitted plan (a district manager of its territory, or the account's key
    account manager; never its own owner)."""
    plan = await service.plan_in_scope(session, caller, plan_id)
    return _answer(await service.approve_plan(session, outbox, caller, plan), response)


@router.post("/{plan_id}/reject")
async def reject_plan(
    plan_id: uuid.UUID,
    data: RejectionIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: Approver,
    response: Response,
) -> PlanOut:
    """Send a submitted plan back to draft, with the reason."""
    plan = await service.plan_in_scope(session, caller, plan_id)
    plan = await service.reject_plan(session, outbox, caller, plan, data.reason)
    return _answer(plan, response)


@router.post("/{plan_id}/activate")
async def activate_plan(
    plan_id: uuid.UUID,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
    response: Response,
) -> PlanOut:
    """Start carrying out an approved plan."""
    plan = await service.plan_in_scope(session, caller, plan_id)
    return _answer(await service.activate_plan(session, outbox, caller, plan), response)


@router.post("/{plan_id}/close")
async def close_plan(
    plan_id: uuid.UUID,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
    response: Response,
) -> PlanOut:
    """End an active plan."""
    plan = await service.plan_in_scope(session, caller, plan_id)
    return _answer(await service.close_plan(session, outbox, caller, plan), response)
