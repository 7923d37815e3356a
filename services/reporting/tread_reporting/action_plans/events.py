"""Action-plans events → the action-plans view."""

from __future__ import annotations

from decimal import Decimal

from tread_reporting.action_plans.models import (
    PlanActionRecord,
    PlanDeviationRecord,
    PlanIndicatorRecord,
    PlanRecord,
    PlanResourceRecord,
)
from tread_reporting.projection.registry import Landing, Projection
from tread_reporting.projection.writes import Writes
from tread_shared.events.payloads import actionplans as ap

projection = Projection()


@projection.on(
    ap.PlanCreated,
    ap.PlanSubmitted,
    ap.PlanApproved,
    ap.PlanRejected,
    ap.PlanActivated,
    ap.PlanClosed,
)
def plan(payload: ap.PlanEvent, _at: Landing, writes: Writes) -> None:
    state = payload.plan
    writes.upsert_newer(
        PlanRecord,
        {
            "plan_id": state.plan_id,
            "version": state.plan_version,
            "account_id": state.account_id,
            "territory": state.territory or "",
            "owner_id": state.owner_id or "",
            "kind": state.kind,
            "status": state.status,
        },
    )


@projection.on(ap.MeasurementRecorded)
def measurement(payload: ap.MeasurementRecorded, at: Landing, writes: Writes) -> None:
    writes.upsert_newer(
        PlanIndicatorRecord,
        {
            "indicator_id": payload.indicator_id,
            "version": at.stream_seq,
            "plan_id": payload.plan_id,
            "account_id": payload.account_id,
            "territory": payload.territory or "",
            "owner_id": payload.owner_id or "",
            "period": payload.reading.period,
            "status": payload.reading.status,
        },
    )


@projection.on(ap.DeviationOpened, ap.DeviationCauseRecorded, ap.DeviationClosed)
def deviation(payload: ap.DeviationEvent, _at: Landing, writes: Writes) -> None:
    state = payload.deviation
    writes.upsert_newer(
        PlanDeviationRecord,
        {
            "deviation_id": state.deviation_id,
            "version": state.deviation_version,
            "plan_id": state.plan_id,
            "account_id": state.account_id,
            "territory": state.territory or "",
            "owner_id": state.owner_id or "",
            "status": state.status,
            "cause": state.cause,
        },
    )


@projection.on(ap.CorrectiveActionCreated, ap.CorrectiveActionCompleted, ap.CorrectiveActionOverdue)
def action(payload: ap.CorrectiveActionEvent, _at: Landing, writes: Writes) -> None:
    state = payload.action
    writes.upsert_newer(
        PlanActionRecord,
        {
            "action_id": state.action_id,
            "version": state.action_version,
            "plan_id": state.plan_id,
            "account_id": state.account_id,
            "territory": state.territory or "",
            "owner_id": state.owner_id,
            "status": state.status,
            "due_on": state.due_on,
        },
    )


@projection.on(ap.ResourceRequestMade, ap.ResourceRequestDecided, ap.ResourceRequestCommitted)
def resource_request(
    payload: ap.ResourceRequestMade | ap.ResourceRequestDecided | ap.ResourceRequestCommitted,
    _at: Landing,
    writes: Writes,
) -> None:
    state = payload.request
    writes.upsert_newer(
        PlanResourceRecord,
        {
            "request_id": state.request_id,
            "version": state.request_version,
            "plan_id": state.plan_id,
            "account_id": state.account_id,
            "territory": state.territory or "",
            "owner_id": state.owner_id or "",
            "kind": state.kind,
            "currency": state.currency or "",
            "status": state.status,
            "approved": state.approved_amount or Decimal(0),
            "committed": state.committed,
        },
    )
