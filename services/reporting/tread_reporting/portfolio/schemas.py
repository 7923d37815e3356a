from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from tread_reporting.freshness.schemas import AsOf
from tread_shared.money import Money

GroupBy = Literal["owner", "territory"]


class Investment(BaseModel):
    visits: int
    hours: Decimal
    budget: list[Money] = Field(description="Per currency")


class InvestmentControl(BaseModel):
    planned: Investment = Field(description="What qualification planned for the year")
    spent: Investment = Field(description="Activities of the year: visits, hours, cost")
    visits_deviation: int
    hours_deviation: Decimal


class Coverage(BaseModel):
    customers: int = Field(description="Accounts that are not closed")
    with_active_contract: int
    share: Decimal = Field(description="with_active_contract / customers, 2 decimals")
    by_tier: dict[str, int]


class PortfolioGroup(BaseModel):
    key: str = Field(description="The owner id or territory ('all' for the total)")
    accounts: int
    by_status: dict[str, int]
    by_quadrant: dict[str, int] = Field(description="`unqualified` for accounts without one")
    investment: InvestmentControl
    coverage: Coverage


class PortfolioOut(BaseModel):
    group_by: GroupBy
    year: int
    groups: list[PortfolioGroup]
    total: PortfolioGroup
    as_of: AsOf
