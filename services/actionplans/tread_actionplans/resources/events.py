from __future__ import annotations

from tread_actionplans.plans.models import Plan
from tread_actionplans.resources.models import ResourceRequest
from tread_shared.events.payloads.actionplans import ResourceRequestState


def request_state(request: ResourceRequest, plan: Plan) -> ResourceRequestState:
    return ResourceRequestState(
        request_id=request.id,
        request_version=request.version,
        plan_id=plan.id,
        account_id=plan.account_id,
        territory=plan.territory,
        owner_id=plan.owner_id,
        kind=request.kind,
        amount=request.amount,
        currency=request.currency,
        status=request.status,
        approved_amount=request.approved_amount,
        committed=request.committed,
        requested_by=request.requested_by,
    )
