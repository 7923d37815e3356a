from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from tread_market_intel.fields import Label, Price, ProductCode, Text
from tread_market_intel.products.schemas import Territory
from tread_shared.dates import PlausibleDateTime
from tread_shared.http.inputs import Input
from tread_shared.money import Money

ObservationKind = Literal[
    "competitor_price",
    "competitor_promotion",
    "product_issue",
    "service",
    "customer_need",
    "market_event",
]
Confidence = Literal["low", "medium", "high"]
Unit = Literal["piece", "set", "retread", "service"]
PRICED_KINDS = ("competitor_price", "competitor_promotion")


class Conditions(Input):
    """The terms the price came with."""

    payment_terms_days: Annotated[int, Field(ge=0, le=365)] | None = None
    rebate_pct: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] | None = None
    min_volume: Annotated[int, Field(gt=0, le=1_000_000)] | None = None
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class ObservationIn(Input):
    id: uuid.UUID | None = Field(
        None, description="Made by an offline client; sending it again answers the first record"
    )
    kind: ObservationKind
    territory: Territory
    account_id: uuid.UUID | None = None
    product_code: ProductCode | None = Field(None, description="The own product concerned")
    competitor: Label | None = None
    competitor_product_id: uuid.UUID | None = None
    observed_price: Price | None = None
    unit: Unit = "piece"
    conditions: Conditions = Conditions()
    source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    confidence: Confidence = "medium"
    observed_at: PlausibleDateTime
    text: Text | None = None

    @model_validator(mode="after")
    def _priced(self) -> ObservationIn:
        if self.kind == "competitor_price":
            if self.observed_price is None:
                raise ValueError("a competitor price needs observed_price")
            if self.product_code is None:
                raise ValueError("a competitor price names the own product it compares with")
        if self.kind in PRICED_KINDS and not (self.competitor or self.competitor_product_id):
            raise ValueError(f"a {self.kind} names the competitor")
        return self


class ObservationOut(BaseModel):
    id: uuid.UUID
    kind: ObservationKind
    territory: str
    account_id: uuid.UUID | None
    product_code: str | None
    competitor: str | None
    competitor_product_id: uuid.UUID | None
    observed_price: Money | None
    unit: str | None
    conditions: dict[str, Any]
    source: str | None
    confidence: Confidence
    observed_at: datetime
    text: str | None
    outlier: bool = Field(description="Far outside the recent range: kept, not averaged")
    outlier_reason: str | None
    recorded_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class ObservationFilters(BaseModel):
    kind: ObservationKind | None = None
    territory: str | None = Field(None, max_length=100)
    product_code: str | None = Field(None, max_length=60)
    competitor: str | None = Field(None, max_length=100)
    account_id: uuid.UUID | None = None
    outlier: bool | None = None
