from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response, status

from tread_actionplans.deviations import repository, service
from tread_actionplans.deviations.models import CorrectiveAction, Deviation
from tread_actionplans.deviations.schemas import (
    CauseIn,
    CorrectiveActionIn,
    CorrectiveActionOut,
    DeviationOut,
    ForecastOut,
    OutcomeIn,
    ReforecastIn,
)
from tread_actionplans.deviations.workflow import ACTION_MOVES, DEVIATION_MOVES
from tread_actionplans.directory.access import PlanWorker, Staff
from tread_actionplans.lifecycle import allowed_steps
from tread_actionplans.plans.service import part_in_scope
from tread_shared.app import EventOutbox
from tread_shared.clock import utcnow
from tread_shared.db.listing import list_page, sync_page
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.events.payloads.actionplans import DeviationCause
from tread_shared.http.etag import set_etag
from tread_shared.http.pagination import Page, PageParams, page_params
from tread_shared.http.sync import Tombstone, UpdatedSince
from tread_shared.money import Money

router = APIRouter(prefix="/v1/deviations", tags=["deviations"])
actions_router = APIRouter(prefix="/v1/corrective-actions", tags=["corrective actions"])
Paging = Annotated[PageParams, Depends(page_params)]


def deviation_out(deviation: Deviation) -> DeviationOut:
    return DeviationOut(
        id=deviation.id,
        plan_id=deviation.plan_id,
        origin=deviation.origin,
        indicator_id=deviation.indicator_id,
        period=deviation.period,
        contract_id=deviation.contract_id,
        severity=deviation.severity,
        status=deviation.status,
        allowed_steps=allowed_steps(DEVIATION_MOVES, deviation.status),
        cause=deviation.cause,
        analysis=deviation.analysis,
        opened_at=deviation.opened_at,
        closed_at=deviation.closed_at,
        created_at=deviation.created_at,
        updated_at=deviation.updated_at,
        version=deviation.version,
    )


def action_out(action: CorrectiveAction) -> CorrectiveActionOut:
    budget = (
        Money(amount=action.budget, currency=action.currency)
        if action.budget is not None and action.currency is not None
        else None
    )
    return CorrectiveActionOut(
        id=action.id,
        plan_id=action.plan_id,
        deviation_id=action.deviation_id,
        meeting_id=action.meeting_id,
        title=action.title,
        owner_id=action.owner_id,
        due_on=action.due_on,
        budget=budget,
        expected_effect=action.expected_effect,
        status=action.status,
        overdue=action.status == "open" and action.due_on < utcnow().date(),
        allowed_steps=allowed_steps(ACTION_MOVES, action.status),
        outcome=action.outcome,
        completed_at=action.completed_at,
        completed_by=action.completed_by,
        created_by=action.created_by,
        created_at=action.created_at,
        updated_at=action.updated_at,
        version=action.version,
    )


def _deviation(deviation: Deviation, response: Response) -> DeviationOut:
    set_etag(response, deviation.id, deviation.version)
    return deviation_out(deviation)


def _action(action: CorrectiveAction, response: Response) -> CorrectiveActionOut:
    set_etag(response, action.id, action.version)
    return action_out(action)


@router.get("")
async def list_deviations(
    session: ReadSession,
    caller: Staff,
    page: Paging,
    updated_since: UpdatedSince = None,
    plan_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
    status: Literal["open", "closed"] | None = None,
    cause: DeviationCause | None = None,
) -> Page[DeviationOut | Tombstone]:
    """Deviations of the plans in the caller's scope."""
    filters = repository.DeviationFilters(
        plan_id=plan_id, account_id=account_id, status=status, cause=cause
    )
    query = repository.visible_deviations(caller, filters)
    listed = await list_page(session, query, Deviation, page, updated_since=updated_since)
    return sync_page(listed, deviation_out)


@router.get("/{deviation_id}")
async def get_deviation(
    deviation_id: uuid.UUID, session: ReadSession, caller: Staff, response: Response
) -> DeviationOut:
    deviation, _ = await part_in_scope(session, caller, Deviation, deviation_id, "deviation")
    return _deviation(deviation, response)


@router.post("/{deviation_id}/cause")
async def record_cause(
    deviation_id: uuid.UUID,
    data: CauseIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
    response: Response,
) -> DeviationOut:
    """Name the cause (price, competition, availability, credit, dealer capacity, execution,
    market, other) and the analysis."""
    deviation, plan = await part_in_scope(session, caller, Deviation, deviation_id, "deviation")
    deviation = await service.record_cause(session, outbox, caller, plan, deviation, data)
    return _deviation(deviation, response)


@router.post("/{deviation_id}/close")
async def close_deviation(
    deviation_id: uuid.UUID,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
    response: Response,
) -> DeviationOut:
    deviation, plan = await part_in_scope(session, caller, Deviation, deviation_id, "deviation")
    deviation = await service.close_deviation(session, outbox, caller, plan, deviation)
    return _deviation(deviation, response)


@router.post("/{deviation_id}/reforecast")
async def reforecast(
    deviation_id: uuid.UUID, data: ReforecastIn, session: DbSession, caller: PlanWorker
) -> ForecastOut:
    """What the deviating indicator is now expected to reach in the periods to come."""
    deviation, plan = await part_in_scope(session, caller, Deviation, deviation_id, "deviation")
    indicator = await service.reforecast(session, plan, deviation, data, utcnow().date())
    return ForecastOut(indicator_id=indicator.id, forecast=indicator.forecast or {})


@router.post("/{deviation_id}/actions", status_code=status.HTTP_201_CREATED)
async def add_action(
    deviation_id: uuid.UUID,
    data: CorrectiveActionIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
    response: Response,
) -> CorrectiveActionOut:
    """A corrective action against the deviation: owner, due date, budget, expected effect."""
    deviation, plan = await part_in_scope(session, caller, Deviation, deviation_id, "deviation")
    action = await service.add_action(session, outbox, caller, plan, data, deviation=deviation)
    response.headers["Location"] = f"/v1/corrective-actions/{action.id}"
    return _action(action, response)


@router.get("/{deviation_id}/actions")
async def list_deviation_actions(
    deviation_id: uuid.UUID, session: ReadSession, caller: Staff, page: Paging
) -> Page[CorrectiveActionOut | Tombstone]:
    await part_in_scope(session, caller, Deviation, deviation_id, "deviation")
    filters = repository.ActionFilters(deviation_id=deviation_id)
    query = repository.visible_actions(caller, filters)
    listed = await list_page(session, query, CorrectiveAction, page)
    return sync_page(listed, action_out)


@actions_router.get("")
async def list_actions(
    session: ReadSession,
    caller: Staff,
    page: Paging,
    updated_since: UpdatedSince = None,
    plan_id: uuid.UUID | None = None,
    owner_id: str | None = None,
    status: Literal["open", "done", "cancelled"] | None = None,
    overdue: bool = False,
) -> Page[CorrectiveActionOut | Tombstone]:
    """Corrective actions of the plans in the caller's scope (``overdue=true``: open ones past
    their due date)."""
    filters = repository.ActionFilters(
        plan_id=plan_id,
        owner_id=owner_id,
        status=status,
        overdue_on=utcnow().date() if overdue else None,
    )
    query = repository.visible_actions(caller, filters)
    listed = await list_page(session, query, CorrectiveAction, page, updated_since=updated_since)
    return sync_page(listed, action_out)


@actions_router.get("/{action_id}")
async def get_action(
    action_id: uuid.UUID, session: ReadSession, caller: Staff, response: Response
) -> CorrectiveActionOut:
    action, _ = await part_in_scope(session, caller, CorrectiveAction, action_id, "action")
    return _action(action, response)


@actions_router.post("/{action_id}/complete")
async def complete_action(
    action_id: uuid.UUID,
    data: OutcomeIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
    response: Response,
) -> CorrectiveActionOut:
    action, plan = await part_in_scope(session, caller, CorrectiveAction, action_id, "action")
    action = await service.finish_action(
        session, outbox, caller, plan, action, "complete", data.outcome
    )
    return _action(action, response)


@actions_router.post("/{action_id}/cancel")
async def cancel_action(
    action_id: uuid.UUID,
    data: OutcomeIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
    response: Response,
) -> CorrectiveActionOut:
    action, plan = await part_in_scope(session, caller, CorrectiveAction, action_id, "action")
    action = await service.finish_action(
        session, outbox, caller, plan, action, "cancel", data.outcome
    )
    return _action(action, response)
