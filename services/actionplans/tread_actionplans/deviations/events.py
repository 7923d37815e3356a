from __future__ import annotations

from tread_actionplans.deviations.models import AnyDeviation, CorrectiveAction
from tread_actionplans.indicators.facts import PlanScope
from tread_actionplans.plans.models import Plan
from tread_shared.events.payloads.actionplans import CorrectiveActionState, DeviationState


def deviation_state(deviation: AnyDeviation, plan: PlanScope) -> DeviationState:
    return DeviationState(
        deviation_id=deviation.id,
        deviation_version=deviation.version,
        plan_id=plan.id,
        account_id=plan.account_id,
        territory=plan.territory,
        owner_id=plan.owner_id,
        origin=deviation.origin,
        indicator_id=deviation.indicator_id,
        period=deviation.period,
        contract_id=deviation.contract_id,
        severity=deviation.severity,
        status=deviation.status,
        cause=deviation.cause,
    )


def action_state(action: CorrectiveAction, plan: Plan) -> CorrectiveActionState:
    return CorrectiveActionState(
        action_id=action.id,
        action_version=action.version,
        plan_id=plan.id,
        deviation_id=action.deviation_id,
        meeting_id=action.meeting_id,
        account_id=plan.account_id,
        territory=plan.territory,
        owner_id=action.owner_id,
        title=action.title,
        due_on=action.due_on,
        status=action.status,
        budget=action.budget,
        currency=action.currency,
    )
