"""Events of the actionplans service: plans, objectives, measurements, deviations, corrective
actions, resource requests and follow-up meetings.

Each event carries who it concerns (``account_id`` when the plan is an account's, the
``territory`` and the plan ``owner_id`` as the account directory had them), so that reporting
keeps its action-plans view by territory and account manager from the events alone. Entity
events carry the entity's state at a ``version``: a consumer upserts and ignores older ones."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from tread_shared.events.registry import EventPayload

PlanKind = Literal["development", "professionalism", "corrective"]
PlanScope = Literal["account", "territory", "portfolio"]
PlanStatus = Literal["draft", "submitted", "approved", "active", "closed"]
PlanOrigin = Literal["user", "audit", "compliance"]
PeriodStatus = Literal["green", "amber", "red"]
DeviationCause = Literal[
    "price",
    "competition",
    "availability",
    "credit",
    "dealer_capacity",
    "execution",
    "market",
    "other",
]

# -- plans ------------------------------------------------------------------------------------


class PlanState(BaseModel):
    """A plan as every plan event carries it."""

    plan_id: uuid.UUID
    plan_version: int
    title: str
    kind: PlanKind
    scope: PlanScope
    account_id: uuid.UUID | None
    territory: str | None
    owner_id: str | None
    status: PlanStatus
    start_date: date
    end_date: date
    contract_id: uuid.UUID | None = None
    audit_id: uuid.UUID | None = None


class PlanEvent(EventPayload):
    service = "actionplans"
    entity = "plan"

    plan: PlanState


class PlanCreated(PlanEvent):
    """A plan was drafted: by a user, from an audit with gaps, or from a contract at risk."""

    verb = "created"

    origin: PlanOrigin
    created_by: str


class PlanSubmitted(PlanEvent):
    """The plan's owner sent it for approval."""

    verb = "submitted"

    submitted_by: str


class PlanApproved(PlanEvent):
    """A district manager (or the account's key account manager) approved the plan."""

    verb = "approved"

    approved_by: str


class PlanRejected(PlanEvent):
    """The approver sent the plan back to draft, with a reason."""

    verb = "rejected"

    rejected_by: str
    reason: str


class PlanActivated(PlanEvent):
    """The approved plan is being carried out: its indicators are followed."""

    verb = "activated"

    activated_by: str


class PlanClosed(PlanEvent):
    """The plan is over."""

    verb = "closed"

    closed_by: str


# -- objectives and measurements ----------------------------------------------------------------


class ObjectiveEvaluated(EventPayload):
    """An objective was evaluated at a follow-up meeting (or by hand)."""

    service = "actionplans"
    entity = "objective"
    verb = "evaluated"

    objective_id: uuid.UUID
    plan_id: uuid.UUID
    account_id: uuid.UUID | None
    territory: str | None
    owner_id: str | None
    score: Decimal | None
    met: bool | None
    comment: str | None = None
    meeting_id: uuid.UUID | None = None
    evaluated_by: str


class PeriodReading(BaseModel):
    """An indicator's period after the change: actual against target, and its status."""

    period: str
    actual: Decimal
    target: Decimal | None
    gap: Decimal | None
    status: PeriodStatus | None


class MeasurementRecorded(EventPayload):
    """A measurement of an indicator was recorded, corrected or withdrawn (``change``), by hand
    or from another service's event (``source_event_id``)."""

    service = "actionplans"
    entity = "measurement"
    verb = "recorded"

    measurement_id: uuid.UUID
    indicator_id: uuid.UUID
    indicator_code: str
    plan_id: uuid.UUID
    account_id: uuid.UUID | None
    territory: str | None
    owner_id: str | None
    change: Literal["created", "updated", "deleted"]
    period: str
    value: Decimal
    source: str
    source_event_id: str | None = None
    reading: PeriodReading


# -- deviations ---------------------------------------------------------------------------------


class DeviationState(BaseModel):
    deviation_id: uuid.UUID
    deviation_version: int
    plan_id: uuid.UUID
    account_id: uuid.UUID | None
    territory: str | None
    owner_id: str | None
    origin: Literal["indicator", "compliance"]
    indicator_id: uuid.UUID | None
    period: str | None
    contract_id: uuid.UUID | None
    severity: Literal["amber", "red"]
    status: Literal["open", "closed"]
    cause: DeviationCause | None


class DeviationEvent(EventPayload):
    service = "actionplans"
    entity = "deviation"

    deviation: DeviationState


class DeviationOpened(DeviationEvent):
    """An indicator's period turned amber or red, or a contract's compliance turned at risk or
    missed (opened again when it falls back after recovering)."""

    verb = "opened"


class DeviationCauseRecorded(DeviationEvent):
    """The account manager named the deviation's cause and analysed it."""

    verb = "cause_recorded"

    analysis: str | None
    recorded_by: str


class DeviationClosed(DeviationEvent):
    """The indicator (or the compliance) recovered, or someone closed the deviation."""

    verb = "closed"

    closed_by: str


# -- corrective actions -------------------------------------------------------------------------


class CorrectiveActionState(BaseModel):
    action_id: uuid.UUID
    action_version: int
    plan_id: uuid.UUID
    deviation_id: uuid.UUID | None
    meeting_id: uuid.UUID | None
    account_id: uuid.UUID | None
    territory: str | None
    owner_id: str
    title: str
    due_on: date
    status: Literal["open", "done", "cancelled"]
    budget: Decimal | None
    currency: str | None


class CorrectiveActionEvent(EventPayload):
    service = "actionplans"
    entity = "corrective_action"

    action: CorrectiveActionState


class CorrectiveActionCreated(CorrectiveActionEvent):
    """A corrective action was decided (on a deviation, or at a follow-up meeting)."""

    verb = "created"

    created_by: str


class CorrectiveActionCompleted(CorrectiveActionEvent):
    """The corrective action was done, or cancelled (``action.status``)."""

    verb = "completed"

    completed_by: str


class CorrectiveActionOverdue(CorrectiveActionEvent):
    """An open corrective action passed its due date (announced once)."""

    verb = "overdue"

    days_overdue: int


# -- resources ----------------------------------------------------------------------------------

ResourceKind = Literal["money", "visits", "hours", "people_days"]


class ResourceRequestState(BaseModel):
    request_id: uuid.UUID
    request_version: int
    plan_id: uuid.UUID
    account_id: uuid.UUID | None
    territory: str | None
    owner_id: str | None
    kind: ResourceKind
    amount: Decimal
    currency: str | None
    status: Literal["requested", "approved", "rejected"]
    approved_amount: Decimal | None
    committed: Decimal
    requested_by: str


class ResourceRequestMade(EventPayload):
    """Money, visits, hours or people-days were asked for a plan, with a justification."""

    service = "actionplans"
    entity = "resource_request"
    verb = "made"

    request: ResourceRequestState
    justification: str


class ResourceRequestDecided(EventPayload):
    """The district manager approved (maybe a smaller amount) or rejected the request."""

    service = "actionplans"
    entity = "resource_request"
    verb = "decided"

    request: ResourceRequestState
    decided_by: str
    reason: str | None = None


class ResourceRequestCommitted(EventPayload):
    """Part of an approved request was committed (used); never beyond what was approved."""

    service = "actionplans"
    entity = "resource_request"
    verb = "committed"

    request: ResourceRequestState
    amount: Decimal
    committed_by: str


# -- meetings -----------------------------------------------------------------------------------


class MeetingHeld(EventPayload):
    """A follow-up meeting of the plan was held: its evaluations and decisions."""

    service = "actionplans"
    entity = "meeting"
    verb = "held"

    meeting_id: uuid.UUID
    plan_id: uuid.UUID
    account_id: uuid.UUID | None
    territory: str | None
    owner_id: str | None
    held_at: datetime
    participants: list[str]
    objectives_evaluated: int
    corrective_action_ids: list[uuid.UUID]
    recorded_by: str
