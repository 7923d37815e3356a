from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from tread_reporting.freshness.schemas import AsOf


class ObservationCount(BaseModel):
    territory: str
    kind: str
    observations: int
    outliers: int


class RangePositioning(BaseModel):
    """The latest band state of each product of a range in a territory (months in the
    period where the index crossed the band)."""

    range: str = Field(description='"" for products without a range')
    territory: str
    products: int
    below: int
    within: int
    above: int
    median_index: Decimal | None


class PositioningMove(BaseModel):
    product_code: str
    territory: str
    month: str
    previous_index: Decimal | None
    index: Decimal
    previous_band: str | None
    band: str


class CompetitorActivity(BaseModel):
    competitor: str
    observations: int
    territories: int


class MarketSection(BaseModel):
    """What the field saw, where prices stand and what moved, over some days."""

    observations: list[ObservationCount]
    positioning: list[RangePositioning]
    top_moves: list[PositioningMove] = Field(description="The largest index moves, first")
    competitors: list[CompetitorActivity] = Field(description="The most observed, first")


class MarketOut(MarketSection):
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    as_of: AsOf
