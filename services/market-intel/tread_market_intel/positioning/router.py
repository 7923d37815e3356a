from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from tread_market_intel.directory.access import Staff
from tread_market_intel.positioning import service
from tread_market_intel.positioning.schemas import PricePositioning
from tread_market_intel.settings import MarketSettings
from tread_shared.clock import utcnow
from tread_shared.currencies import ISO_4217
from tread_shared.dates import PlausibleDate
from tread_shared.db.reading import Reads
from tread_shared.errors import Unprocessable

router = APIRouter(prefix="/v1/price-positioning", tags=["price-positioning"])

MAX_MONTHS = 36


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@router.get("", response_model_by_alias=True)
async def get_price_positioning(
    reads: Reads,
    caller: Staff,
    settings: MarketSettings,
    product: Annotated[
        str | None,
        Query(max_length=60, description="An own product code; this or `range` is required"),
    ] = None,
    range: Annotated[
        str | None,
        Query(max_length=100, description="Or a whole range; this or `product` is required"),
    ] = None,
    territory: Annotated[str | None, Query(max_length=100)] = None,
    start: Annotated[
        PlausibleDate | None, Query(alias="from", description="Default: 11 months before `to`")
    ] = None,
    end: Annotated[PlausibleDate | None, Query(alias="to", description="Default: today")] = None,
    currency: Annotated[
        str | None, Query(pattern=r"^[A-Z]{3}$", description="Default: the most observed")
    ] = None,
) -> PricePositioning:
    """Competitor prices observed against the own list price in force, per month with
    observations: count, median, quartiles, index, trend, outliers excluded and counted;
    also per competitor. For one ``product`` or a whole ``range``."""
    if (product is None) == (range is None):
        raise Unprocessable("Name a product or a range (one of them).", slug="product-or-range")
    if currency is not None and currency not in ISO_4217:
        raise Unprocessable(f"{currency} is not an ISO 4217 currency.", slug="unknown-currency")
    end = end or utcnow().date()
    start = start or _months_back(end, 11)
    if start > end:
        raise Unprocessable("from is after to.", slug="invalid-period")
    if start < _months_back(end, MAX_MONTHS):
        raise Unprocessable(f"At most {MAX_MONTHS} months at once.", slug="period-too-long")
    return await service.positioning(
        reads,
        settings,
        product_code=product,
        range_=range,
        territory=territory,
        start=start,
        end=end,
        currency=currency,
    )
