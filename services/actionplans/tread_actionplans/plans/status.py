"""The plan status page: every indicator with its latest measured period, the objectives, open
deviations and overdue actions, and the budget and resources used. A handful of indexed queries,
whatever the plan's size."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.deviations import repository as deviations
from tread_actionplans.indicators import repository as indicator_periods
from tread_actionplans.indicators.evaluation import target_of
from tread_actionplans.objectives import service as objectives
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.schemas import (
    ActionBriefOut,
    BudgetLine,
    BudgetUseOut,
    DeviationBriefOut,
    IndicatorStatusOut,
    ObjectiveBriefOut,
    PlanOut,
    ResourceUseOut,
)
from tread_actionplans.resources.models import ResourceRequest
from tread_shared.db.types import plain_decimal

ZERO = Decimal(0)
BUDGET_FIGURES = ("planned", "committed", "spent", "requested", "approved", "approved_committed")


async def _indicators(session: AsyncSession, plan: Plan) -> list[IndicatorStatusOut]:
    indicators = await indicator_periods.latest_periods(session, plan.id)
    out = []
    for indicator, row in indicators:
        target = target_of(indicator, row.period) if row is not None else None
        out.append(
            IndicatorStatusOut(
                id=indicator.id,
                code=indicator.code,
                name=indicator.name,
                unit=indicator.unit,
                source=indicator.source,
                period=row.period if row is not None else None,
                actual=row.actual if row is not None else None,
                target=target,
                gap=None if row is None or target is None else row.actual - target,
                status=row.status if row is not None else None,
            )
        )
    return out


def _budget(plan: Plan, requests: list[ResourceRequest]) -> list[BudgetUseOut]:
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for item in plan.budget_lines:
        line = BudgetLine.model_validate(item)
        currency = totals[line.planned.currency]
        currency["planned"] += line.planned.amount
        currency["committed"] += line.committed.amount if line.committed else ZERO
        currency["spent"] += line.spent.amount if line.spent else ZERO
    for request in requests:
        if request.kind != "money" or request.currency is None:
            continue
        currency = totals[request.currency]
        currency["requested"] += request.amount
        currency["approved"] += request.approved_amount or ZERO
        currency["approved_committed"] += request.committed
    return [
        BudgetUseOut(
            currency=code,
            **{name: plain_decimal(values[name]) for name in BUDGET_FIGURES},
        )
        for code, values in sorted(totals.items())
    ]


def _resources(requests: list[ResourceRequest]) -> list[ResourceUseOut]:
    totals: dict[str, list[Decimal]] = {}
    for request in requests:
        if request.kind == "money":
            continue
        values = totals.setdefault(request.kind, [ZERO, ZERO, ZERO])
        values[0] += request.amount
        values[1] += request.approved_amount or ZERO
        values[2] += request.committed
    return [
        ResourceUseOut(kind=kind, requested=v[0], approved=v[1], committed=v[2])
        for kind, v in sorted(totals.items())
    ]


async def plan_status(
    session: AsyncSession, plan: Plan, plan_out: PlanOut, today: date
) -> dict[str, object]:
    indicators = await _indicators(session, plan)
    statuses = {"green": 0, "amber": 0, "red": 0}
    for indicator in indicators:
        if indicator.status is not None:
            statuses[indicator.status] += 1
    plan_objectives = await objectives.of_plan(session, plan.id)
    readings = await objectives.latest_readings(session, plan_objectives)
    objective_briefs = []
    for objective in plan_objectives:
        latest, met = objectives.progress(objective, readings)
        objective_briefs.append(
            ObjectiveBriefOut(
                id=objective.id,
                statement=objective.statement,
                target=objective.target,
                latest=latest,
                met=met,
            )
        )
    requests = list(
        (
            await session.scalars(
                select(ResourceRequest)
                .where(ResourceRequest.plan_id == plan.id)
                .order_by(ResourceRequest.id)
            )
        ).all()
    )
    return {
        "plan": plan_out,
        "as_of": today,
        "indicators": indicators,
        "statuses": statuses,
        "objectives": objective_briefs,
        "open_deviations": [
            DeviationBriefOut(
                id=d.id,
                origin=d.origin,
                indicator_id=d.indicator_id,
                period=d.period,
                severity=d.severity,
                cause=d.cause,
                opened_at=d.opened_at,
            )
            for d in await deviations.open_of_plan(session, plan.id)
        ],
        "overdue_actions": [
            ActionBriefOut(
                id=a.id,
                title=a.title,
                owner_id=a.owner_id,
                due_on=a.due_on,
                days_overdue=(today - a.due_on).days,
            )
            for a in await deviations.overdue_of_plan(session, plan.id, today)
        ],
        "budget": _budget(plan, requests),
        "resources": _resources(requests),
    }
