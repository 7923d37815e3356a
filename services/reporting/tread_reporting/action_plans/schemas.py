from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from tread_reporting.freshness.schemas import AsOf


class ResourceUse(BaseModel):
    """Resources approved and committed (used), per kind and currency ("" for non-money)."""

    kind: str
    currency: str
    approved: Decimal
    committed: Decimal


class ActionPlanGroup(BaseModel):
    """One territory and account manager ("" when a plan has none yet)."""

    territory: str
    owner_id: str
    plans_by_status: dict[str, int]
    indicators: dict[str, int]
    open_deviations_by_cause: dict[str, int]
    open_actions: int
    overdue_actions: int
    resources: list[ResourceUse]


class ActionPlansOut(BaseModel):
    today: date
    groups: list[ActionPlanGroup]
    as_of: AsOf
