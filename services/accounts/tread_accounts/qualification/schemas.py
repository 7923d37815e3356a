from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from tread_accounts.fields import Note
from tread_accounts.qualification.quadrant import Quadrant
from tread_shared.http.inputs import Input
from tread_shared.money import Money


class ExpectedResult(Input):
    annual_volume_units: int = Field(ge=0, le=10_000_000, description="Tyres a year")
    margin_potential: Money = Field(description="Margin a year")


class PlannedInvestment(Input):
    visits_per_year: int = Field(ge=0, le=1_000)
    hours_per_year: int = Field(ge=0, le=10_000)
    budget: Money = Field(description="Budget a year (incentives, trainings, travel…)")


class QualificationIn(Input):
    expected: ExpectedResult
    planned_investment: PlannedInvestment
    notes: Note | None = None


class QualificationOut(BaseModel):
    account_id: uuid.UUID
    expected: ExpectedResult
    planned_investment: PlannedInvestment
    quadrant: Quadrant
    high_result: bool
    high_investment: bool
    notes: str | None
    qualified_by: str
    qualified_at: datetime
    version: int


class AccountInQuadrant(BaseModel):
    id: uuid.UUID
    name: str
    owner_id: str
    territory: str
    annual_volume_units: int | None = None
    margin_potential: Money | None = None
    budget: Money | None = None


class PlannedTotals(BaseModel):
    visits_per_year: int = 0
    hours_per_year: int = 0
    budget: list[Money] = Field(default_factory=list, description="One total per currency")


class QuadrantAnalysis(BaseModel):
    quadrant: Quadrant | None = Field(description="null: accounts not qualified yet")
    count: int
    annual_volume_units: int = 0
    planned_investment: PlannedTotals
    accounts: list[AccountInQuadrant]
    more_accounts: bool = Field(description="The list is cut at limit_per_quadrant")


class ThresholdsOut(BaseModel):
    annual_volume_units: int
    margin_potential: dict[str, Decimal]
    visits_per_year: int
    hours_per_year: int
    budget: dict[str, Decimal]


class PortfolioAnalysis(BaseModel):
    total_accounts: int
    quadrants: list[QuadrantAnalysis]
    unqualified: QuadrantAnalysis
    thresholds: ThresholdsOut
