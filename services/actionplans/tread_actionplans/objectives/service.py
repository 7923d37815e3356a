"""Objectives and their evaluation. A quantitative objective is met when its indicator's latest
measured period reaches the target (in the indicator's direction); a qualitative one when its
last evaluation reaches the score aimed at."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.indicators import repository as indicators
from tread_actionplans.indicators.models import Indicator
from tread_actionplans.objectives.models import Objective
from tread_actionplans.objectives.schemas import EvaluationIn, ObjectiveIn
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.service import require_open
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.errors import NotFound, Unprocessable
from tread_shared.events.emit import emit
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.actionplans import ObjectiveEvaluated


async def add_objective(session: AsyncSession, plan: Plan, data: ObjectiveIn) -> Objective:
    require_open(plan, "adding an objective")
    if data.indicator_id is not None:
        indicator = await session.get(Indicator, data.indicator_id)
        if indicator is None or indicator.plan_id != plan.id:
            raise Unprocessable(
                f"Plan {plan.id} has no indicator {data.indicator_id}.", slug="unknown-indicator"
            )
    if data.due_on is not None and not plan.start_date <= data.due_on <= plan.end_date:
        raise Unprocessable(
            f"The due date {data.due_on} lies outside the plan's period.",
            slug="due-outside-plan",
        )
    objective = Objective(plan_id=plan.id, **data.model_dump())
    session.add(objective)
    await session.flush()
    return objective


async def of_plan(session: AsyncSession, plan_id: uuid.UUID) -> Sequence[Objective]:
    query = select(Objective).where(Objective.plan_id == plan_id, Objective.deleted_at.is_(None))
    return (await session.scalars(query.order_by(Objective.id))).all()


async def objective_of(session: AsyncSession, plan: Plan, objective_id: uuid.UUID) -> Objective:
    objective = await session.get(Objective, objective_id)
    if objective is None or objective.plan_id != plan.id or objective.deleted_at is not None:
        raise NotFound(f"No objective {objective_id}.")
    return objective


async def latest_readings(
    session: AsyncSession, objectives: Sequence[Objective]
) -> dict[uuid.UUID, tuple[Decimal, str]]:
    """Each bound indicator's latest measured period: (actual, direction)."""
    ids = {o.indicator_id for o in objectives if o.indicator_id is not None}
    if not ids:
        return {}
    latest: dict[uuid.UUID, tuple[Decimal, str]] = {}
    for row, direction in await indicators.latest_measured(session, ids):
        latest[row.indicator_id] = (row.actual, direction)
    return latest


def progress(
    objective: Objective, readings: dict[uuid.UUID, tuple[Decimal, str]]
) -> tuple[Decimal | None, bool | None]:
    """The objective's latest value and whether it is met (None: not measured yet)."""
    if objective.kind == "quantitative" and objective.indicator_id is not None:
        reading = readings.get(objective.indicator_id)
        if reading is None or objective.target is None:
            return None, None
        actual, direction = reading
        met = (
            actual >= objective.target
            if direction == "higher_is_better"
            else (actual <= objective.target)
        )
        return actual, met
    if objective.last_score is None:
        return None, None
    if objective.target is None:
        return objective.last_score, None
    return objective.last_score, objective.last_score >= objective.target


async def evaluate(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    plan: Plan,
    objective: Objective,
    data: EvaluationIn,
    meeting_id: uuid.UUID | None = None,
) -> Objective:
    require_open(plan, "evaluating an objective")
    if objective.kind == "qualitative" and not (
        (objective.scale_min or 0) <= data.score <= (objective.scale_max or 0)
    ):
        raise Unprocessable(
            f"The score lies on the scale {objective.scale_min}-{objective.scale_max}.",
            slug="score-off-scale",
        )
    objective.last_score, objective.last_comment = data.score, data.comment
    objective.evaluated_at, objective.evaluated_by = utcnow(), principal.sub
    readings = await latest_readings(session, [objective])
    _, met = progress(objective, readings)
    await emit(
        session,
        outbox,
        objective,
        lambda: ObjectiveEvaluated(
            objective_id=objective.id,
            plan_id=plan.id,
            account_id=plan.account_id,
            territory=plan.territory,
            owner_id=plan.owner_id,
            score=data.score,
            met=met,
            comment=data.comment,
            meeting_id=meeting_id,
            evaluated_by=principal.sub,
        ),
    )
    return objective
