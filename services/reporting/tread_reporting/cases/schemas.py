from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tread_reporting.freshness.schemas import AsOf

AGE_BUCKETS = ("0-2 days", "3-7 days", "8-30 days", "over 30 days")


class CategoryCases(BaseModel):
    category: str
    open: int
    breached: int = Field(description="Open past their SLA due date")
    escalated: int
    by_age: dict[str, int] = Field(description=f"Open cases by age: {', '.join(AGE_BUCKETS)}")
    oldest_opened_at: datetime | None


class CasesOut(BaseModel):
    categories: list[CategoryCases]
    open: int
    breached: int
    escalated: int
    as_of: AsOf
