from __future__ import annotations

from tread_actionplans.plans.models import Plan
from tread_shared.events.payloads.actionplans import PlanState


def plan_state(plan: Plan) -> PlanState:
    """The plan, as every plan event carries it."""
    return PlanState(
        plan_id=plan.id,
        plan_version=plan.version,
        title=plan.title,
        kind=plan.kind,
        scope=plan.scope,
        account_id=plan.account_id,
        territory=plan.territory,
        owner_id=plan.owner_id,
        status=plan.status,
        start_date=plan.start_date,
        end_date=plan.end_date,
        contract_id=plan.contract_id,
        audit_id=plan.audit_id,
    )
