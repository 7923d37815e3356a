from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tread_reporting.action_plans import service
from tread_reporting.action_plans.repository import PlanScope
from tread_reporting.action_plans.schemas import ActionPlansOut
from tread_reporting.freshness.service import CurrentView
from tread_reporting.readers import Reader
from tread_shared.clock import utcnow
from tread_shared.db.reading import ReadSession

router = APIRouter(prefix="/v1/reports", tags=["action plans"])


@router.get("/action-plans", response_model=ActionPlansOut)
async def get_action_plans(
    session: ReadSession,
    view: CurrentView,
    caller: Reader,
    territory: Annotated[str | None, Query(max_length=100)] = None,
    owner_id: Annotated[str | None, Query(max_length=200)] = None,
) -> ActionPlansOut:
    """Per territory and account manager: plans by status, indicators green/amber/red (each in
    the period measured last), open deviations by cause, open and overdue corrective actions,
    resources approved and committed; for the plans in the caller's scope."""
    scope = PlanScope(
        principal=caller, generation=view.generation, territory=territory, owner_id=owner_id
    )
    return await service.action_plans(session, scope, view, utcnow().date())
