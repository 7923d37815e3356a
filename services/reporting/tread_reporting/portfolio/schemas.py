from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from tread_reporting.freshness.schemas import AsOf
from tread_shared.money import Money, SignedMoney

GroupBy = Literal["owner", "territory"]


class Investment(BaseModel):
    visits: int
    hours: Decimal
    budget: list[Money] = Field(description="Per currency")


class InvestmentControl(BaseModel):
    """Spent so far against the share of the year's plan due by now (straight line): a
    deviation in December is not compared with what August should have spent."""

    planned: Investment = Field(description="What qualification planned for the year")
    share_of_year: Decimal = Field(
        description="Share of the year elapsed (days to today / days in the year; 1 for a past "
        "year, 0 for a future one), 4 decimals"
    )
    planned_to_date: Investment = Field(description="planned x share_of_year")
    spent: Investment = Field(
        description="Activities of the year done so far (future-dated ones are plans, not spent)"
    )
    visits_deviation: int = Field(description="spent - planned_to_date")
    hours_deviation: Decimal = Field(description="spent - planned_to_date")
    budget_deviation: list[SignedMoney] = Field(description="spent - planned_to_date, per currency")


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
