from __future__ import annotations

import uuid
from decimal import Decimal

from fastapi import APIRouter, Response, status

from tread_actionplans.directory.access import PlanWorker, Staff
from tread_actionplans.objectives import service
from tread_actionplans.objectives.models import Objective
from tread_actionplans.objectives.schemas import EvaluationIn, ObjectiveIn, ObjectiveOut
from tread_actionplans.plans.service import plan_in_scope
from tread_shared.app import EventOutbox
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.http.etag import set_etag

router = APIRouter(prefix="/v1/plans/{plan_id}/objectives", tags=["objectives"])


def objective_out(
    objective: Objective, readings: dict[uuid.UUID, tuple[Decimal, str]]
) -> ObjectiveOut:
    latest, met = service.progress(objective, readings)
    return ObjectiveOut(
        id=objective.id,
        plan_id=objective.plan_id,
        kind=objective.kind,
        statement=objective.statement,
        indicator_id=objective.indicator_id,
        baseline=objective.baseline,
        target=objective.target,
        due_on=objective.due_on,
        scale_min=objective.scale_min,
        scale_max=objective.scale_max,
        evidence=objective.evidence,
        latest=latest,
        met=met,
        last_comment=objective.last_comment,
        evaluated_at=objective.evaluated_at,
        evaluated_by=objective.evaluated_by,
        created_at=objective.created_at,
        updated_at=objective.updated_at,
        version=objective.version,
    )


async def _answer(session: ReadSession, objective: Objective, response: Response) -> ObjectiveOut:
    set_etag(response, objective.id, objective.version)
    return objective_out(objective, await service.latest_readings(session, [objective]))


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_objective(
    plan_id: uuid.UUID,
    data: ObjectiveIn,
    session: DbSession,
    caller: PlanWorker,
    response: Response,
) -> ObjectiveOut:
    plan = await plan_in_scope(session, caller, plan_id)
    objective = await service.add_objective(session, plan, data)
    response.headers["Location"] = f"/v1/plans/{plan_id}/objectives/{objective.id}"
    return await _answer(session, objective, response)


@router.get("")
async def list_objectives(
    plan_id: uuid.UUID, session: ReadSession, caller: Staff
) -> list[ObjectiveOut]:
    """The plan's objectives, each with its latest value and whether it is met."""
    await plan_in_scope(session, caller, plan_id)
    objectives = await service.of_plan(session, plan_id)
    readings = await service.latest_readings(session, objectives)
    return [objective_out(o, readings) for o in objectives]


@router.post("/{objective_id}/evaluations")
async def evaluate_objective(
    plan_id: uuid.UUID,
    objective_id: uuid.UUID,
    data: EvaluationIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
    response: Response,
) -> ObjectiveOut:
    """Evaluate the objective (also done by a follow-up meeting)."""
    plan = await plan_in_scope(session, caller, plan_id)
    objective = await service.objective_of(session, plan, objective_id)
    objective = await service.evaluate(session, outbox, caller, plan, objective, data)
    return await _answer(session, objective, response)
