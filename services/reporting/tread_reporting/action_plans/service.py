"""The action-plans view, one group per territory and account manager: as the latest events
left it, or (for the central report) as the history says it was at a moment."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.action_plans import repository
from tread_reporting.action_plans.repository import PlanScope
from tread_reporting.action_plans.schemas import ActionPlanGroup, ActionPlansOut, ResourceUse
from tread_reporting.freshness.service import ReadView

STATUSES = ("green", "amber", "red")


class _Groups:
    """Groups by (territory, account manager), created as figures arrive, sorted when read."""

    def __init__(self) -> None:
        self._groups: dict[tuple[str, str], ActionPlanGroup] = {}

    def __call__(self, territory: str, owner_id: str) -> ActionPlanGroup:
        key = (territory, owner_id)
        if key not in self._groups:
            self._groups[key] = ActionPlanGroup(
                territory=territory,
                owner_id=owner_id,
                plans_by_status={},
                indicators=dict.fromkeys(STATUSES, 0),
                open_deviations_by_cause={},
                open_actions=0,
                overdue_actions=0,
                resources=[],
            )
        return self._groups[key]

    def sorted(self) -> list[ActionPlanGroup]:
        return [self._groups[key] for key in sorted(self._groups)]


async def action_plans(
    session: AsyncSession, scope: PlanScope, view: ReadView, today: date
) -> ActionPlansOut:
    group = _Groups()
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
    return ActionPlansOut(today=today, groups=group.sorted(), as_of=view.as_of)


async def action_plans_at(
    session: AsyncSession, scope: PlanScope, moment: datetime, today: date
) -> list[ActionPlanGroup]:
    """The groups as they stood at ``moment``: each entity in its state after its last change
    before then; actions still open and due before ``today`` are overdue."""
    group = _Groups()
    used: dict[tuple[str, str], dict[tuple[str, str], list[Decimal]]] = defaultdict(dict)
    for (
        entity,
        territory,
        owner,
        status,
        detail,
        due_on,
        currency,
        approved,
        committed,
    ) in await repository.states_at(session, scope, moment):
        found = group(territory, owner)
        if entity == "plan" and status:
            found.plans_by_status[status] = found.plans_by_status.get(status, 0) + 1
        elif entity == "indicator" and status in STATUSES:
            found.indicators[status] += 1
        elif entity == "deviation" and status == "open":
            cause = detail or "unknown"
            found.open_deviations_by_cause[cause] = found.open_deviations_by_cause.get(cause, 0) + 1
        elif entity == "action" and status == "open":
            found.open_actions += 1
            found.overdue_actions += int(due_on is not None and due_on < today)
        elif entity == "resource" and status == "approved":
            sums = used[(territory, owner)].setdefault(
                (detail or "", currency or ""), [Decimal(0), Decimal(0)]
            )
            sums[0] += approved or 0
            sums[1] += committed or 0
    for key, by_kind in used.items():
        group(*key).resources = [
            ResourceUse(kind=kind, currency=currency, approved=approved, committed=committed)
            for (kind, currency), (approved, committed) in sorted(by_kind.items())
        ]
    return group.sorted()
