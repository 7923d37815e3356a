from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tread_reporting.freshness.service import CurrentView
from tread_reporting.portfolio import service
from tread_reporting.portfolio.repository import PortfolioScope
from tread_reporting.portfolio.schemas import GroupBy, PortfolioOut
from tread_reporting.readers import Reader
from tread_shared.clock import utcnow
from tread_shared.db.reading import ReadSession

router = APIRouter(prefix="/v1/reports", tags=["portfolio"])


@router.get("/portfolio", response_model=PortfolioOut)
async def get_portfolio(
    session: ReadSession,
    view: CurrentView,
    caller: Reader,
    group_by: Annotated[GroupBy, Query(description="Figures per owner or per territory")] = "owner",
    territory: Annotated[str | None, Query(max_length=100)] = None,
    owner_id: Annotated[str | None, Query(max_length=200)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Default: this year")] = None,
) -> PortfolioOut:
    """Accounts per quadrant and status, activity investment spent against planned (visits,
    hours, budget), and partnership coverage by tier, for the accounts in the caller's scope."""
    scope = PortfolioScope(
        principal=caller,
        generation=view.generation,
        group_by=group_by,
        territory=territory,
        owner_id=owner_id,
    )
    now = utcnow()
    return await service.portfolio(session, scope, view, year or now.year, now)
