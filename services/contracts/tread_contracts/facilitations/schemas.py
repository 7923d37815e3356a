from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from tread_contracts.programs.schemas import TierCode
from tread_shared.dates import PlausibleDate
from tread_shared.events.payloads.contracts import FacilitationBalance
from tread_shared.http.inputs import JsonBody
from tread_shared.money import Money

FacilitationType = Literal[
    "marketing_fund", "training", "point_of_sale_material", "demo_products", "event_support"
]
FacilitationStatus = Literal["pending_approval", "granted", "rejected"]
Segment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=4000)]


def _positive(amount: Money) -> Money:
    if amount.amount <= 0:
        raise ValueError("the amount must be more than zero")
    return amount


class GuidelineIn(JsonBody):
    """Empty ``eligible_tiers`` / ``eligible_segments``: no condition on tier / segment."""

    type: FacilitationType
    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    description: Description | None = None
    eligible_tiers: Annotated[list[TierCode], Field(max_length=20)] = []
    eligible_segments: Annotated[list[Segment], Field(max_length=50)] = []
    program_id: uuid.UUID | None = None
    cap_per_account_per_year: Money
    approval_threshold: Money
    active: bool = True

    @model_validator(mode="after")
    def _one_currency(self) -> Self:
        if self.cap_per_account_per_year.currency != self.approval_threshold.currency:
            raise ValueError("the cap and the approval threshold are in one currency")
        return self


class GuidelineChangeIn(JsonBody):
    """A change to a guideline: only the fields given change; the currency stays."""

    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    description: Description | None = None
    eligible_tiers: Annotated[list[TierCode], Field(max_length=20)] | None = None
    eligible_segments: Annotated[list[Segment], Field(max_length=50)] | None = None
    cap_per_account_per_year: Money | None = None
    approval_threshold: Money | None = None
    active: bool | None = None


class GuidelineOut(BaseModel):
    id: uuid.UUID
    type: FacilitationType
    name: str
    description: str | None
    eligible_tiers: list[str]
    eligible_segments: list[str]
    program_id: uuid.UUID | None
    cap_per_account_per_year: Money
    approval_threshold: Money
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


class GuidelinePage(BaseModel):
    items: list[GuidelineOut]
    next_cursor: str | None = None


class FacilitationIn(JsonBody):
    account_id: uuid.UUID
    guideline_id: uuid.UUID
    amount: Money
    justification: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)
    ]

    _amount_positive = field_validator("amount")(_positive)


class SpendingIn(JsonBody):
    amount: Money
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
    ]
    spent_on: PlausibleDate | None = Field(default=None, description="Defaults to today")

    _amount_positive = field_validator("amount")(_positive)


class DecisionIn(JsonBody):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class SpendingOut(BaseModel):
    amount: Money
    description: str
    spent_on: date
    recorded_by: str
    recorded_at: datetime


class FacilitationOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    guideline_id: uuid.UUID
    guideline_type: FacilitationType
    contract_id: uuid.UUID | None
    tier: str | None
    year: int
    amount: Money
    justification: str
    status: FacilitationStatus
    requires_approval: bool
    spent: Money
    spendings: list[SpendingOut]
    requested_by: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    created_at: datetime
    updated_at: datetime


class FacilitationPage(BaseModel):
    items: list[FacilitationOut]
    next_cursor: str | None = None


class BalanceOut(FacilitationBalance):
    """An account's use of one guideline in one year. ``remaining`` is what may still be
    requested: the cap less what is granted or awaiting approval."""

    account_id: uuid.UUID
    year: int
    guideline_id: uuid.UUID
    guideline_type: FacilitationType
