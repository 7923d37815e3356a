from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from tread_shared.dates import PlausibleDate
from tread_shared.events.payloads.actionplans import PlanKind, PlanOrigin, PlanScope, PlanStatus
from tread_shared.http.inputs import Input
from tread_shared.money import Money

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Territory = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Stakeholder(BaseModel):
    """A user of Tread (``user``, by subject) or a customer contact (``contact``, by id)."""

    kind: Literal["user", "contact"]
    id: UserId
    role: Annotated[str, StringConstraints(max_length=100)] | None = None


class BudgetLine(BaseModel):
    """Money set aside for the plan: planned, committed and spent, in one currency."""

    category: Title
    planned: Money
    committed: Money | None = None
    spent: Money | None = None

    @model_validator(mode="after")
    def _one_currency(self) -> Self:
        for name in ("committed", "spent"):
            amount = getattr(self, name)
            if amount is not None and amount.currency != self.planned.currency:
                raise ValueError(f"{name} is in {self.planned.currency}, like planned")
        return self


class StakeholderIn(Stakeholder, Input):
    __doc__ = Stakeholder.__doc__  # a stakeholder as sent: checked as a body (Input)


class BudgetLineIn(BudgetLine, Input):
    __doc__ = BudgetLine.__doc__  # a budget line as sent: checked as a body (Input)


class PlanIn(Input):
    """A draft plan. ``scope``: ``account`` (give ``account_id``), ``territory`` (give
    ``territory``) or ``portfolio`` (the owner's accounts in ``territory``)."""

    title: Title
    kind: PlanKind
    scope: PlanScope = "account"
    account_id: uuid.UUID | None = None
    territory: Territory | None = None
    owner_id: UserId | None = Field(
        default=None, description="Defaults to the account's manager, else the caller"
    )
    stakeholders: Annotated[list[StakeholderIn], Field(max_length=50)] = []
    start_date: PlausibleDate
    end_date: PlausibleDate
    reaudit_on: PlausibleDate | None = None
    contract_id: uuid.UUID | None = None
    budget_lines: Annotated[list[BudgetLineIn], Field(max_length=50)] = []

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        if self.scope == "account" and self.account_id is None:
            raise ValueError("an account plan names its account_id")
        if self.scope != "account" and self.account_id is not None:
            raise ValueError(f"a {self.scope} plan names no account_id")
        if self.scope == "territory" and self.territory is None:
            raise ValueError("a territory plan names its territory")
        return self


class PlanAmendIn(Input):
    """A change to a draft: only the fields given change."""

    title: Title | None = None
    owner_id: UserId | None = None
    stakeholders: Annotated[list[StakeholderIn], Field(max_length=50)] | None = None
    start_date: PlausibleDate | None = None
    end_date: PlausibleDate | None = None
    reaudit_on: PlausibleDate | None = None
    contract_id: uuid.UUID | None = None
    budget_lines: Annotated[list[BudgetLineIn], Field(max_length=50)] | None = None


class RejectionIn(Input):
    reason: Reason


class PlanOut(BaseModel):
    id: uuid.UUID
    title: str
    kind: PlanKind
    scope: PlanScope
    account_id: uuid.UUID | None
    territory: str | None
    owner_id: str | None
    stakeholders: list[Stakeholder]
    start_date: date
    end_date: date
    reaudit_on: date | None
    contract_id: uuid.UUID | None
    audit_id: uuid.UUID | None
    origin: PlanOrigin
    budget_lines: list[BudgetLine]
    status: PlanStatus
    allowed_steps: list[str]
    rejection_reason: str | None
    created_by: str
    submitted_by: str | None
    submitted_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    activated_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class IndicatorStatusOut(BaseModel):
    """An indicator and its latest measured period."""

    id: uuid.UUID
    code: str
    name: str
    unit: str
    source: str
    period: str | None
    actual: Decimal | None
    target: Decimal | None
    gap: Decimal | None
    status: Literal["green", "amber", "red"] | None


class DeviationBriefOut(BaseModel):
    id: uuid.UUID
    origin: str
    indicator_id: uuid.UUID | None
    period: str | None
    severity: str
    cause: str | None
    opened_at: datetime


class ActionBriefOut(BaseModel):
    id: uuid.UUID
    title: str
    owner_id: str
    due_on: date
    days_overdue: int


class ObjectiveBriefOut(BaseModel):
    id: uuid.UUID
    statement: str
    target: Decimal | None
    latest: Decimal | None
    met: bool | None


class BudgetUseOut(BaseModel):
    """Per currency: the budget lines, and the money asked, approved and committed."""

    currency: str
    planned: Decimal
    committed: Decimal
    spent: Decimal
    requested: Decimal
    approved: Decimal
    approved_committed: Decimal


class ResourceUseOut(BaseModel):
    kind: str
    requested: Decimal
    approved: Decimal
    committed: Decimal


class PlanStatusOut(BaseModel):
    """What a manager opens before a follow-up meeting."""

    plan: PlanOut
    as_of: date
    indicators: list[IndicatorStatusOut]
    statuses: dict[str, int]
    objectives: list[ObjectiveBriefOut]
    open_deviations: list[DeviationBriefOut]
    overdue_actions: list[ActionBriefOut]
    budget: list[BudgetUseOut]
    resources: list[ResourceUseOut]
