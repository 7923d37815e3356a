from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from tread_reporting.freshness.schemas import AsOf
from tread_shared.money import Money, SignedMoney

Trend = Literal["up", "down", "flat"]


class AccountOut(BaseModel):
    account_id: uuid.UUID
    name: str
    kind: str
    status: str
    territory: str
    owner_id: str
    key_account_manager_id: str | None
    segment: str | None
    quadrant: str | None


class SignatureOut(BaseModel):
    party: str
    signer_name: str
    signer_role: str
    method: str
    signed_at: datetime


class ContractOut(BaseModel):
    contract_id: uuid.UUID
    program_id: uuid.UUID
    program_name: str
    program_version: int
    tier: str
    status: str
    start_date: date
    end_date: date
    signatures: list[SignatureOut]
    renews_contract_id: uuid.UUID | None
    rebate_pct: Decimal
    facilitation_budget: Money


class GapOut(BaseModel):
    criterion: str
    score: int | None
    required: int


class AuditOut(BaseModel):
    audit_id: uuid.UUID
    contract_id: uuid.UUID | None = Field(description="null for a pre-partnership audit")
    performed_at: datetime
    auditor: str
    overall_score: Decimal
    gaps: list[GapOut]


class AuditPoint(BaseModel):
    performed_at: datetime
    overall_score: Decimal


class CommitmentProgress(BaseModel):
    kind: str
    period: str | None
    product_line: str | None = None
    quantity: int | None = None
    actual_units: int | None = Field(None, description="Sell-in in the commitment's period")
    share: Decimal | None = Field(None, description="actual / committed, 2 decimals")
    criterion: str | None = None
    min_score: int | None = None
    latest_score: int | None = None
    name: str | None = None
    met: bool | None = Field(None, description="Already met (null when not measurable)")


class FacilitationItem(BaseModel):
    facilitation_id: uuid.UUID
    type: str
    status: str
    amount: Money
    spent: Money


class FacilitationYear(BaseModel):
    year: int
    granted: list[Money] = Field(description="Granted this year, per currency")
    spent: list[Money] = Field(description="Spent of what was granted, per currency")
    pending: int
    rejected: int
    items: list[FacilitationItem]


class ComplianceOut(BaseModel):
    overall: str
    as_of: date
    evaluated_at: datetime


class RebateOut(BaseModel):
    """The rebate a contract earned for its period: at the rebate % of the tier reached
    (null: none reached), on the period's sell-in value, per currency."""

    contract_id: uuid.UUID
    period_start: date
    period_end: date
    tier: str
    tier_reached: str | None
    rebate_pct: Decimal
    compliance: str = Field(description="The compliance at the period's end")
    sell_in_units: int
    sell_in_value: list[Money]
    rebate: list[Money]
    judged_on: date


class CreditOut(BaseModel):
    blocked: bool
    credit_limit: Money
    exposure: SignedMoney
    overdue_amount: Money | None
    as_of: datetime


class PartnershipOut(BaseModel):
    account_id: uuid.UUID
    account: AccountOut
    contract_status: str = Field(description="The partnership contract's status, or `none`")
    program_id: uuid.UUID | None
    program_name: str | None
    tier: str | None
    start_date: date | None
    end_date: date | None
    renewal_due: date | None = Field(description="When the contract in force must be renewed")
    renewal_due_in_days: int | None
    contract: ContractOut | None
    other_contracts: list[ContractOut]
    latest_audit: AuditOut | None
    audit_trend: Trend | None
    audit_history: list[AuditPoint]
    open_gaps: list[GapOut]
    commitments: list[CommitmentProgress]
    compliance: ComplianceOut | None
    rebates: list[RebateOut] = Field(
        description="Rebates earned by the account's contracts, latest period first"
    )
    facilitations: FacilitationYear
    open_cases: dict[str, int] = Field(description="Open transverse cases by category")
    credit: CreditOut | None
    as_of: AsOf


class PartnershipListItem(BaseModel):
    account_id: uuid.UUID
    account_name: str
    owner_id: str
    territory: str
    contract_status: str
    contract_id: uuid.UUID | None
    program_id: uuid.UUID | None
    program_name: str | None
    tier: str | None
    start_date: date | None
    end_date: date | None
    renewal_due: date | None
    latest_audit_score: Decimal | None
    audit_trend: Trend | None
    open_cases: int


class PartnershipPage(BaseModel):
    items: list[PartnershipListItem]
    next_cursor: str | None
    as_of: AsOf
