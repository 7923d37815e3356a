"""Resource requests and their arbitration (see ``workflow``)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.lifecycle import next_status
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.service import may_decide, require_open
from tread_actionplans.resources.events import request_state
from tread_actionplans.resources.models import ResourceRequest
from tread_actionplans.resources.schemas import CommitmentIn, DecisionIn, ResourceRequestIn
from tread_actionplans.resources.workflow import MOVES
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.errors import Conflict, Unprocessable
from tread_shared.events.emit import emit
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.actionplans import (
    ResourceRequestCommitted,
    ResourceRequestDecided,
    ResourceRequestMade,
)


def remaining(request: ResourceRequest) -> Decimal | None:
    if request.approved_amount is None:
        return None
    return request.approved_amount - request.committed


async def make_request(
    session: AsyncSession, outbox: Outbox, principal: Principal, plan: Plan, data: ResourceRequestIn
) -> ResourceRequest:
    require_open(plan, "asking for resources")
    request = ResourceRequest(
        plan_id=plan.id,
        kind=data.kind,
        amount=data.amount,
        currency=data.currency,
        justification=data.justification,
        status="requested",
        committed=Decimal(0),
        requested_by=principal.sub,
    )
    session.add(request)
    await emit(
        session,
        outbox,
        request,
        lambda: ResourceRequestMade(
            request=request_state(request, plan), justification=data.justification
        ),
    )
    return request


async def _decide(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    plan: Plan,
    request: ResourceRequest,
    step: str,
    reason: str | None,
) -> ResourceRequest:
    target = next_status("Resource request", MOVES, request.id, request.status, step)
    await may_decide(session, principal, plan, request.requested_by, plan.owner_id)
    request.status = target
    request.decided_by, request.decided_at, request.reason = principal.sub, utcnow(), reason
    await emit(
        session,
        outbox,
        request,
        lambda: ResourceRequestDecided(
            request=request_state(request, plan), decided_by=principal.sub, reason=reason
        ),
    )
    return request


async def approve(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    plan: Plan,
    request: ResourceRequest,
    data: DecisionIn,
) -> ResourceRequest:
    amount = data.amount if data.amount is not None else request.amount
    if amount > request.amount:
        raise Unprocessable(
            f"At most the {request.amount} asked for is approved.", slug="more-than-asked"
        )
    request.approved_amount = amount
    return await _decide(session, outbox, principal, plan, request, "approve", None)


async def reject(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    plan: Plan,
    request: ResourceRequest,
    reason: str,
) -> ResourceRequest:
    return await _decide(session, outbox, principal, plan, request, "reject", reason)


async def commit(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    plan: Plan,
    request: ResourceRequest,
    data: CommitmentIn,
) -> ResourceRequest:
    """Commit part of what was approved; never more than is left."""
    require_open(plan, "committing resources")
    left = remaining(request)
    if request.status != "approved" or left is None:
        raise Conflict(
            f"Resource request {request.id} is {request.status}: only an approved request is "
            "committed against.",
            slug="not-approved",
            status_now=request.status,
        )
    if data.amount > left:
        raise Unprocessable(
            f"Only {left} of the {request.approved_amount} approved is left to commit.",
            slug="over-approved",
            remaining=str(left),
        )
    request.committed = request.committed + data.amount
    await emit(
        session,
        outbox,
        request,
        lambda: ResourceRequestCommitted(
            request=request_state(request, plan), amount=data.amount, committed_by=principal.sub
        ),
    )
    return request
