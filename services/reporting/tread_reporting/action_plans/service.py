"""The action-plans view, one group per territory and account manager."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.action_plans import repository
from tread_reporting.action_plans.repository import PlanScope
from tread_reporting.action_plans.schemas import ActionPlanGroup, ActionPlansOut, ResourceUse
from tread_reporting.freshness.service import ReadView

STATUSES = ("green", "amber", "red")


def _empty(territory: str, owner_id: str) -> ActionPlanGroup:
    return ActionPlanGroup(
        territory=territory,
        owner_id=owner_id,
        plans_by_status={},
        indicators=dict.fromkeys(STATUSES, 0),
        open_deviations_by_cause={},
        open_actions=0,
        overdue_actions=0,
        resources=[],
    )


async def action_plans(
    session: AsyncSession, scope: PlanScope, view: ReadView, today: date
) -> ActionPlansOut:
    groups: dict[tuple[str, str], ActionPlanGroup] = {}

    def group(territory: str, owner_id: str) -> ActionPlanGroup:
        key = (territory, owner_id)
        if key not in groups:
            groups[key] = _empty(territory, owner_id)
        return groups[key]

    for territory, owner, status, count in await repository.plans_by_status(session, scope):
        group(territory, owner).plans_by_status[status] = count
    for territory, owner, status, count in await repository.indicators_by_status(session, scope):
        if status in STATUSES:
            group(territory, owner).indicators[status] += count
    for territory, owner, cause, count in await repository.open_deviations_by_cause(session, scope):
        group(territory, owner).open_deviations_by_cause[cause or "unknown"] = count
    for territory, owner, open_count, overdue in await repository.open_actions(
        session, scope, today
    ):
        found = group(territory, owner)
        found.open_actions, found.overdue_actions = open_count, int(overdue or 0)
    for territory, owner, kind, currency, approved, committed in await repository.resources(
        session, scope
    ):
        group(territory, owner).resources.append(
            ResourceUse(kind=kind, currency=currency, approved=approved, committed=committed)
        )
    return ActionPlansOut(
        today=today, groups=[groups[key] for key in sorted(groups)], as_of=view.as_of
    )
