from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from tread_contracts.rebates.schemas import RebateOut
from tread_shared.events.payloads.contracts import ComplianceItem, ComplianceStatus

# One commitment or requirement against its actual: the same record the
# ``compliance.changed`` event carries.
ComplianceItemOut = ComplianceItem


class LatestAuditOut(BaseModel):
    id: uuid.UUID
    performed_at: datetime
    overall_score: Decimal


class ComplianceOut(BaseModel):
    """``met``: done; ``on_track``: not yet done, on pace; ``at_risk``: behind pace (or a score
    below the minimum while the contract runs); ``missed``: the period ended short."""

    contract_id: uuid.UUID
    account_id: uuid.UUID
    program_id: uuid.UUID
    program_version: int
    tier: str
    contract_status: str
    as_of: date
    overall: ComplianceStatus
    items: list[ComplianceItemOut]
    latest_audit: LatestAuditOut | None
    rebate: RebateOut | None = Field(
        None, description="The rebate earned, once the period is over and judged (null before)"
    )
