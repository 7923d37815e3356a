from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from tread_actionplans.indicators.schemas import Period, Value
from tread_shared.dates import PlausibleDate
from tread_shared.events.payloads.actionplans import DeviationCause
from tread_shared.http.inputs import Input
from tread_shared.money import Money

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CauseIn(Input):
    cause: DeviationCause
    analysis: Text | None = None


class ForecastIn(Input):
    period: Period
    forecast: Value


class ReforecastIn(Input):
    """What the indicator is now expected to reach in the periods still to come."""

    periods: Annotated[list[ForecastIn], Field(min_length=1, max_length=120)]


class CorrectiveActionIn(Input):
    title: Title
    owner_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="Defaults to the plan's owner"
    )
    due_on: PlausibleDate
    budget: Money | None = None
    expected_effect: Text | None = None


class OutcomeIn(Input):
    outcome: Text | None = None


class DeviationOut(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    origin: Literal["indicator", "compliance"]
    indicator_id: uuid.UUID | None
    period: str | None
    contract_id: uuid.UUID | None
    severity: Literal["amber", "red"]
    status: Literal["open", "closed"]
    allowed_steps: list[str]
    cause: DeviationCause | None
    analysis: str | None
    opened_at: datetime
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class CorrectiveActionOut(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    deviation_id: uuid.UUID | None
    meeting_id: uuid.UUID | None
    title: str
    owner_id: str
    due_on: date
    budget: Money | None
    expected_effect: str | None
    status: Literal["open", "done", "cancelled"]
    overdue: bool
    allowed_steps: list[str]
    outcome: str | None
    completed_at: datetime | None
    completed_by: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class ForecastOut(BaseModel):
    indicator_id: uuid.UUID
    forecast: dict[str, Decimal]
