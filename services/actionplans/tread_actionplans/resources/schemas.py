from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from tread_shared.events.payloads.actionplans import ResourceKind
from tread_shared.http.inputs import Input
from tread_shared.money import CurrencyCode

Amount = Annotated[Decimal, Field(gt=0, le=10**12, max_digits=18, decimal_places=4)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class ResourceRequestIn(Input):
    """``money`` (give the ``currency``), ``visits``, ``hours`` or ``people_days``."""

    kind: ResourceKind
    amount: Amount
    currency: CurrencyCode | None = None
    justification: Text

    @model_validator(mode="after")
    def _currency_for_money(self) -> Self:
        if (self.kind == "money") != (self.currency is not None):
            raise ValueError("money comes with a currency, and only money")
        return self


class DecisionIn(Input):
    """Approve the amount asked, or ``amount`` (less)."""

    amount: Amount | None = None


class RejectionIn(Input):
    reason: Text


class CommitmentIn(Input):
    amount: Amount
    note: Text | None = None


class ResourceRequestOut(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    kind: ResourceKind
    amount: Decimal
    currency: str | None
    justification: str
    status: Literal["requested", "approved", "rejected"]
    allowed_steps: list[str]
    approved_amount: Decimal | None
    committed: Decimal
    remaining: Decimal | None
    requested_by: str
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int
