from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from tread_contracts.rebates.models import EarnedRebate
from tread_shared.events.payloads.contracts import ComplianceStatus, RebateAmount
from tread_shared.money import Money


class RebateOut(BaseModel):
    """What the contract earned for its period, settled once the period is over and judged."""

    tier_reached: str | None = Field(description="null when no tier's requirements were met")
    rebate_pct: Decimal
    compliance: ComplianceStatus = Field(description="The compliance at the period's end")
    sell_in_units: int
    amounts: list[RebateAmount] = Field(description="Sell-in value and rebate, per currency")
    judged_on: date
    computed_at: datetime

    @classmethod
    def of(cls, rebate: EarnedRebate) -> RebateOut:
        return cls(
            tier_reached=rebate.tier_reached,
            rebate_pct=rebate.rebate_pct,
            compliance=rebate.compliance,
            sell_in_units=rebate.sell_in_units,
            amounts=[
                RebateAmount(
                    sell_in_value=Money.of(a["sell_in_value"], a["currency"]),
                    rebate=Money.of(a["rebate"], a["currency"]),
                )
                for a in rebate.amounts
            ],
            judged_on=rebate.judged_on,
            computed_at=rebate.computed_at,
        )
