"""Action-plans events → the action-plans view (the latest state of each entity) and its
history (every state, dated: what the central report reads as of a period's end)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from tread_reporting.action_plans.models import (
    PlanActionRecord,
    PlanDeviationRecord,
    PlanHistoryRecord,
    PlanIndicatorRecord,
    PlanRecord,
    PlanResourceRecord,
)
from tread_reporting.projection.registry import Landing, Projection
from tread_reporting.projection.writes import Writes
from tread_shared.events.payloads import actionplans as ap

projection = Projection()


def _dated(
    writes: Writes, at: Landing, entity: str, entity_id: uuid.UUID, row: dict[str, Any]
) -> None:
    """The state in ``row`` (a view row) kept in the history, at the event's time."""
    writes.insert_fact(
        PlanHistoryRecord,
        {
            "entity": entity,
            "entity_id": entity_id,
            "version": row["version"],
            "occurred_at": at.event.time,
            "account_id": row["account_id"],
            "territory": row["territory"],
            "owner_id": row["owner_id"],
            "status": row["status"],
            # A plan's kind is not grouped on; a deviation's cause and a request's kind are.
            "detail": None if entity == "plan" else row.get("cause") or row.get("kind"),
            "due_on": row.get("due_on"),
            "currency": row.get("currency"),
            "approved": row.get("approved"),
            "committed": row.get("committed"),
        },
    )


@projection.on(
    ap.PlanCreated,
    ap.PlanSubmitted,
    ap.PlanApproved,
    ap.PlanRejected,
    ap.PlanActivated,
    ap.PlanClosed,
)
def plan(payload: ap.PlanEvent, at: Landing, writes: Writes) -> None:
    state = payload.plan
    row = {
        "plan_id": state.plan_id,
        "version": state.plan_version,
        "account_id": state.account_id,
        "territory": state.territory or "",
        "owner_id": state.owner_id or "",
        "kind": state.kind,
        "status": state.status,
    }
    writes.upsert_newer(PlanRecord, row)
    _dated(writes, at, "plan", state.plan_id, row)


@projection.on(ap.MeasurementRecorded)
def measurement(payload: ap.MeasurementRecorded, at: Landing, writes: Writes) -> None:
    row = {
        "indicator_id": payload.indicator_id,
        "version": at.stream_seq,
        "plan_id": payload.plan_id,
        "account_id": payload.account_id,
        "territory": payload.territory or "",
        "owner_id": payload.owner_id or "",
        "period": payload.reading.period,
        "status": payload.reading.status,
    }
    writes.upsert_newer(PlanIndicatorRecord, row)
    _dated(writes, at, "indicator", payload.indicator_id, row)


@projection.on(ap.DeviationOpened, ap.DeviationCauseRecorded, ap.DeviationClosed)
def deviation(payload: ap.DeviationEvent, at: Landing, writes: Writes) -> None:
    state = payload.deviation
    row = {
        "deviation_id": state.deviation_id,
        "version": state.deviation_version,
        "plan_id": state.plan_id,
        "account_id": state.account_id,
        "territory": state.territory or "",
        "owner_id": state.owner_id or "",
        "status": state.status,
        "cause": state.cause,
    }
    writes.upsert_newer(PlanDeviationRecord, row)
    _dated(writes, at, "deviation", state.deviation_id, row)


@projection.on(ap.CorrectiveActionCreated, ap.CorrectiveActionCompleted, ap.CorrectiveActionOverdue)
def action(payload: ap.CorrectiveActionEvent, at: Landing, writes: Writes) -> None:
    state = payload.action
    row = {
        "action_id": state.action_id,
        "version": state.action_version,
        "plan_id": state.plan_id,
        "account_id": state.account_id,
        "territory": state.territory or "",
        "owner_id": state.owner_id,
        "status": state.status,
        "due_on": state.due_on,
    }
    writes.upsert_newer(PlanActionRecord, row)
    _dated(writes, at, "action", state.action_id, row)


@projection.on(ap.ResourceRequestMade, ap.ResourceRequestDecided, ap.ResourceRequestCommitted)
def resource_request(
    payload: ap.ResourceRequestMade | ap.ResourceRequestDecided | ap.ResourceRequestCommitted,
    at: Landing,
    writes: Writes,
) -> None:
    state = payload.request
    row = {
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
    }
    writes.upsert_newer(PlanResourceRecord, row)
    _dated(writes, at, "resource", state.request_id, row)
