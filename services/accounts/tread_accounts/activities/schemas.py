from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from tread_accounts.fields import Note, PersonId, refuse_nulls
from tread_shared.dates import PlausibleDate, PlausibleDateTime
from tread_shared.http.inputs import Input
from tread_shared.money import Money, SignedMoney

ActivityType = Literal["visit", "call", "training", "meeting", "email"]
# planned: to come (a date and a purpose); done; missed: planned and did not happen.
ActivityStatus = Literal["planned", "done", "missed"]
Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# A week at most: anything longer is a typing mistake, not an activity.
Minutes = Annotated[int, Field(ge=0, le=7 * 24 * 60)]


class Participant(Input):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    contact_id: uuid.UUID | None = Field(None, description="A contact of the same account")
    role: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class FollowUp(Input):
    action: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    due_on: PlausibleDate | None = None
    owner_id: PersonId | None = None
    done: bool = False


Participants = Annotated[list[Participant], Field(max_length=50)]
FollowUps = Annotated[list[FollowUp], Field(max_length=20)]


class ActivityCreate(Input):
    type: ActivityType
    subject: Subject | None = Field(None, description="What it is for (a planned visit's purpose)")
    status: ActivityStatus | None = Field(
        None, description="planned or done; by default planned when started_at is ahead, else done"
    )
    started_at: PlausibleDateTime
    duration_minutes: Minutes
    cost: Money | None = None
    participants: Participants = Field(default_factory=list)
    outcome: Note | None = None
    follow_ups: FollowUps = Field(default_factory=list)


class ActivityPatch(Input):
    type: ActivityType | None = None
    status: ActivityStatus | None = Field(
        None, description="A planned activity becomes done (once its time has come) or missed"
    )
    subject: Subject | None = None
    started_at: PlausibleDateTime | None = None
    duration_minutes: Minutes | None = None
    cost: Money | None = None
    participants: Participants | None = None
    outcome: Note | None = None
    follow_ups: FollowUps | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_stay_set(cls, values: Any) -> Any:
        if isinstance(values, dict):
            refuse_nulls(
                values,
                ("type", "status", "started_at", "duration_minutes", "participants", "follow_ups"),
            )
        return values


class ActivityOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    type: ActivityType
    status: ActivityStatus
    subject: str | None
    started_at: datetime
    duration_minutes: int
    cost: Money | None
    participants: list[Participant]
    outcome: str | None
    follow_ups: list[FollowUp]
    performed_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class ActivityFilters(BaseModel):
    account_id: uuid.UUID | None = None
    type: ActivityType | None = None
    status: ActivityStatus | None = None
    performed_by: str | None = Field(None, max_length=200)
    started_from: PlausibleDateTime | None = None
    started_before: PlausibleDateTime | None = None


class PlannedInvestmentShare(BaseModel):
    visits: Decimal
    hours: Decimal
    budget: Money


class TypeTotals(BaseModel):
    count: int
    hours: Decimal


class ActivityCounts(BaseModel):
    activities: int
    visits: int
    hours: Decimal


class InvestmentSpent(BaseModel):
    activities: int
    visits: int
    hours: Decimal
    budget: Money | None = Field(description="Costs in the planned budget's currency")
    spent: list[Money] = Field(description="Every cost, one total per currency")
    by_type: dict[str, TypeTotals]


class InvestmentDeviation(BaseModel):
    """Spent minus planned: negative is under plan."""

    visits: Decimal
    hours: Decimal
    budget: SignedMoney
    visits_percent: Decimal | None
    hours_percent: Decimal | None
    budget_percent: Decimal | None


class InvestmentControl(BaseModel):
    account_id: uuid.UUID
    period: str
    starts_at: datetime
    ends_at: datetime
    share_of_year: Decimal
    planned: PlannedInvestmentShare | None = Field(description="null: not qualified")
    actual: InvestmentSpent = Field(description="Activities done (planned or missed ones are not)")
    deviation: InvestmentDeviation | None
    scheduled: ActivityCounts = Field(description="Activities of the period still planned")
    missed: ActivityCounts = Field(description="Planned activities of the period that were missed")
