from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tread_reporting.cases import service
from tread_reporting.cases.schemas import CasesOut
from tread_reporting.freshness.service import CurrentView
from tread_reporting.readers import Reader
from tread_shared.clock import utcnow
from tread_shared.db.reading import ReadSession

router = APIRouter(prefix="/v1/reports", tags=["cases"])


@router.get("/cases", response_model=CasesOut)
async def get_cases(
    session: ReadSession,
    view: CurrentView,
    caller: Reader,
    territory: Annotated[str | None, Query(max_length=100)] = None,
    owner_id: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=30)] = None,
) -> CasesOut:
    """Open transverse cases of the accounts in the caller's scope: by category, age and SLA
    breach."""
    return await service.open_cases(
        session,
        caller,
        view,
        utcnow(),
        territory=territory,
        owner_id=owner_id,
        category=category,
    )
