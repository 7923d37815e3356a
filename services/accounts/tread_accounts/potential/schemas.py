from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from tread_accounts.fields import Note
from tread_accounts.potential.policy import Quadrant
from tread_shared.http.inputs import Input
from tread_shared.money import Money, SignedMoney

QualificationStatus = Literal["proposed", "validated", "rejected"]


class ServiceLevelIn(Input):
    visits_per_year: int = Field(ge=0, le=1_000)
    hours_per_year: int = Field(ge=0, le=10_000)
    budget: Money = Field(description="Budget a year (incentives, trainings, travel…)")


class PotentialQualificationIn(Input):
    estimated_annual_purchases_units: int = Field(
        ge=0, le=10_000_000, description="The account's tyre purchases a year, all brands"
    )
    target_share_pct: Decimal = Field(
        gt=0, le=100, decimal_places=2, description="The share of them we can win"
    )
    current_margin: Money = Field(description="The margin the account earns us a year")
    planned_investment: ServiceLevelIn
    notes: Note | None = None


class DecisionIn(Input):
    decision: Literal["validated", "rejected"]
    note: Note | None = None


class PotentialOut(BaseModel):
    estimated_annual_purchases_units: int
    target_share_pct: Decimal
    units: int = Field(description="Estimated purchases times the target share")
    high: bool


class CurrentResultOut(BaseModel):
    sell_in_from: str
    sell_in_to: str
    sell_in_units: int = Field(description="Recorded sell-in over the twelve months")
    share_pct: Decimal | None = Field(description="Sell-in against the estimated purchases")
    margin: Money
    high: bool


class ServiceLevelOut(BaseModel):
    visits_per_year: int
    hours_per_year: int
    budget: Money


class DeviationOut(BaseModel):
    """Planned minus recommended: above zero plans more than the quadrant calls for."""

    visits_per_year: int
    hours_per_year: int
    budget: SignedMoney


class PotentialQualificationOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    segment: str = Field(description="The segment whose thresholds applied (* for the default)")
    potential: PotentialOut
    current_result: CurrentResultOut
    quadrant: Quadrant
    recommended: ServiceLevelOut
    planned: ServiceLevelOut
    deviation: DeviationOut
    notes: str | None
    qualified_by: str
    qualified_at: datetime
    status: QualificationStatus
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    version: int


class PotentialQualificationHistory(BaseModel):
    items: list[PotentialQualificationOut] = Field(description="Latest first")
