from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from tread_shared.money import Money

Band = Literal["below", "within", "above"]


class PositioningMonth(BaseModel):
    month: str = Field(description="YYYY-MM")
    observations: int = Field(description="Competitor prices counted (outliers excluded)")
    outliers_excluded: int
    median: Money
    q1: Money
    q3: Money
    own_list_price: Money | None = Field(
        description="The own list price in force at the month's end (one product only)"
    )
    index: Decimal | None = Field(description="Competitor price ÷ own list price x 100, median")
    trend: Decimal | None = Field(description="Index points since the previous month answered")
    band: Band | None


class CompetitorPosition(BaseModel):
    competitor: str
    observations: int
    median: Money
    index: Decimal | None


class PricePositioning(BaseModel):
    product_code: str | None
    range: str | None
    territory: str | None = Field(description="null: every territory")
    currency: str | None
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    band_low: Decimal
    band_high: Decimal
    months: list[PositioningMonth]
    by_competitor: list[CompetitorPosition]
    unpriced: int = Field(
        description="Prices left out because no own list price was in force to compare with"
    )
