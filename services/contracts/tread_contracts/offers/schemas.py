from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from tread_shared.dates import PlausibleDate
from tread_shared.http.inputs import JsonBody
from tread_shared.money import Money

OfferStatus = Literal["pending_approval", "submitted", "accepted", "rejected", "expired"]
Discount = Annotated[
    Decimal, Field(ge=0, le=100, decimal_places=2, description="Percent off the list price")
]


class OfferLineIn(JsonBody):
    product_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)
    ]
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    quantity: Annotated[int, Field(gt=0, le=10_000_000)]
    list_price: Money | None = Field(
        None, description="Omitted: the catalogue's list price in force (when checked)"
    )
    discount_pct: Discount = Decimal(0)


class OfferTermsIn(JsonBody):
    """What a revision says: the lines, how long the offer holds, and notes."""

    lines: Annotated[list[OfferLineIn], Field(min_length=1, max_length=200)]
    valid_until: PlausibleDate
    notes: Annotated[str, StringConstraints(max_length=4000)] | None = None

    @field_validator("lines")
    @classmethod
    def _one_currency(cls, lines: list[OfferLineIn]) -> list[OfferLineIn]:
        if len({line.list_price.currency for line in lines if line.list_price}) > 1:
            raise ValueError("all lines of an offer are priced in one currency")
        return lines


class OfferIn(OfferTermsIn):
    account_id: uuid.UUID


class DecisionIn(JsonBody):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class OfferLineOut(BaseModel):
    product_code: str
    description: str | None
    quantity: int
    list_price: Money
    discount_pct: Decimal
    net: Money
    catalogue_list_price: Money | None = Field(
        None, description="The price book's price when the line states another (see approval)"
    )


class OfferRevisionOut(BaseModel):
    revision: int
    lines: list[OfferLineOut]
    valid_until: date
    notes: str | None
    list_total: Money
    net_total: Money
    max_discount_pct: Decimal
    requires_approval: bool
    discount_limit_pct: Decimal
    revised_by: str
    revised_at: datetime


class OfferOut(OfferRevisionOut):
    id: uuid.UUID
    account_id: uuid.UUID
    status: OfferStatus
    currency: str
    approved_by: str | None
    approved_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    rejection_stage: str | None
    rejection_reason: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class OfferPage(BaseModel):
    items: list[OfferOut]
    next_cursor: str | None = None
