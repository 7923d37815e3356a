from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from tread_reporting.freshness.service import CurrentView
from tread_reporting.market import service
from tread_reporting.market.schemas import MarketOut
from tread_reporting.readers import Reader
from tread_shared.clock import utcnow
from tread_shared.dates import PlausibleDate
from tread_shared.db.reading import ReadSession
from tread_shared.errors import Unprocessable

router = APIRouter(prefix="/v1/reports", tags=["market"])


@router.get("/market", response_model=MarketOut, response_model_by_alias=True)
async def get_market(
    session: ReadSession,
    view: CurrentView,
    caller: Reader,
    territory: Annotated[str | None, Query(max_length=100)] = None,
    start: Annotated[
        PlausibleDate | None, Query(alias="from", description="Default: 90 days before `to`")
    ] = None,
    end: Annotated[PlausibleDate | None, Query(alias="to", description="Default: today")] = None,
) -> MarketOut:
    """Observations per territory and kind (the field: its territories), price positioning
    per range and territory (each product's latest band crossing in the period), the
    largest positioning moves and the most observed competitors."""
    end = end or utcnow().date()
    start = start or end - timedelta(days=90)
    if start > end:
        raise Unprocessable("from is after to.", slug="invalid-period")
    return await service.market(session, caller, view, start, end, territory)
