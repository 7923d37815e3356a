from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from tread_accounts.cases.workflow import CaseCategory, CasePriority, CaseStatus
from tread_accounts.fields import PersonId, refuse_nulls
from tread_shared.http.inputs import Input

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class CaseCreate(Input):
    category: CaseCategory
    priority: CasePriority = "normal"
    title: Title | None = None
    description: Text
    assignee_id: PersonId | None = Field(
        None, description="Central staff; default: the routing rule of the category"
    )


class CasePatch(Input):
    status: CaseStatus | None = None
    priority: CasePriority | None = None
    category: CaseCategory | None = None
    title: Title | None = None
    description: Text | None = None
    assignee_id: PersonId | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_stay_set(cls, values: Any) -> Any:
        if isinstance(values, dict):
            refuse_nulls(values, ("status", "priority", "category", "description"))
        return values


class CaseOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    title: str | None
    category: CaseCategory
    priority: CasePriority
    status: CaseStatus
    description: str
    assignee_id: str | None
    opened_by: str
    source: Literal["user", "credit_system", "billing_system"]
    external_reference: str | None
    opened_at: datetime
    due_at: datetime
    overdue: bool = Field(description="Past its due date and not resolved")
    escalated: bool
    escalated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    next_statuses: list[CaseStatus]
    created_at: datetime
    updated_at: datetime
    version: int


class CaseFilters(BaseModel):
    account_id: uuid.UUID | None = None
    status: CaseStatus | None = None
    category: CaseCategory | None = None
    priority: CasePriority | None = None
    assignee_id: str | None = Field(None, max_length=200)
    overdue: bool | None = None
    escalated: bool | None = None


class CommentCreate(Input):
    body: Text


class CommentOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    author_id: str
    body: str
    created_at: datetime
