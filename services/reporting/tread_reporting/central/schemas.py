from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from tread_reporting.action_plans.schemas import ActionPlanGroup
from tread_reporting.freshness.schemas import AsOf
from tread_reporting.market.schemas import MarketSection
from tread_reporting.partnerships.schemas import GapOut
from tread_shared.events.payloads.reporting import CentralReportFigures
from tread_shared.money import Money


class CentralSummary(CentralReportFigures):
    contracts_started: int = Field(
        description="Contracts that came into force in the period (contracts_signed: "
        "countersigned in the period, some of which start later)"
    )
    renewals_due_90_days: int = Field(description="In force at the end, ending within 90 days")
    average_audit_score: Decimal | None
    commitments_met: int = Field(description="Partnerships whose sell-in met the commitment")
    commitments_missed: int
    compliance_at_risk: int = Field(description="The contracts service's verdict: at risk")
    compliance_missed: int
    facilitations_rejected: int
    facilitations_granted_amount: list[Money]
    facilitations_spent: list[Money]
    sell_in_units: int
    committed_units: int = Field(description="Volume commitments, pro rata over the period")
    cases_breached: int = Field(description="Open at the period's end, past their SLA")
    plans_active: int = Field(0, description="Action plans active at the period's end")
    indicators_red: int = Field(0, description="Plan indicators red at the period's end")
    open_deviations: int = Field(0, description="Plan deviations open at the period's end")
    overdue_actions: int = Field(0, description="Corrective actions overdue at the period's end")
    market_observations: int = Field(0, description="Field observations in the period")


class SubtotalFigures(BaseModel):
    """Key figures of the partnerships of one territory or one account manager."""

    partnerships_in_force: int
    renewals_due_90_days: int
    committed_units: int
    sell_in_units: int
    commitments_met: int
    compliance_at_risk: int
    compliance_missed: int
    credit_blocked: int
    cases_open_at_end: int
    plans_active: int = 0
    indicators_red: int = 0
    open_deviations: int = 0
    overdue_actions: int = 0


class Subtotal(SubtotalFigures):
    key: str = Field(description="The territory, or the account manager's id")
    year_earlier: SubtotalFigures | None = Field(
        None,
        description="The same key's figures in the same period a year earlier (with "
        "compare=year_earlier; zeros when it had none)",
    )


class PartnershipLine(BaseModel):
    """A contract in force at some time in the period, and the account's business in it."""

    account_id: uuid.UUID
    account_name: str
    owner_id: str
    territory: str
    contract_id: uuid.UUID
    program_name: str
    tier: str
    status_at_end: str
    start_date: date
    end_date: date
    committed_units: int = Field(
        description="Volume commitments for the period: each month's share of the commitment, "
        "times the share of its days the contract was in force"
    )
    sell_in_units: int = Field(description="Sell-in of the product lines the commitments cover")
    sell_in_share: Decimal | None
    commitment_met: bool | None
    committed_units_year_to_date: int = Field(
        description="committed_units from January 1st to the period's end"
    )
    sell_in_units_year_to_date: int = Field(
        description="sell_in_units from January 1st to the period's end"
    )
    compliance: str | None = Field(description="The contracts service's latest verdict")
    latest_audit_score: Decimal | None
    open_gaps: int
    facilitations_granted: list[Money]
    facilitations_spent: list[Money]
    cases_opened: int
    cases_open_at_end: int
    credit_blocked: bool


class ContractChange(BaseModel):
    change: str = Field(description="signed, renewed, terminated or expired")
    occurred_at: datetime
    contract_id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    program_name: str
    tier: str
    detail: str | None


class AuditLine(BaseModel):
    audit_id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    tier: str
    performed_at: datetime
    overall_score: Decimal
    gaps: list[GapOut]


class FacilitationLine(BaseModel):
    type: str
    granted: int
    granted_amount: list[Money]
    spent: list[Money]
    rejected: int


class CaseLine(BaseModel):
    category: str
    opened: int
    resolved: int
    open_at_end: int
    breached: int


class CentralReportOut(BaseModel):
    period: str
    kind: str
    start: date
    end: date = Field(description="The period's last day")
    title: str
    generated_at: datetime
    summary: CentralSummary
    year_earlier: CentralSummary | None = Field(
        None, description="The same period a year earlier (with compare=year_earlier)"
    )
    by_territory: list[Subtotal] = Field(description="The key figures per territory")
    by_owner: list[Subtotal] = Field(description="The key figures per account manager")
    partnerships: list[PartnershipLine]
    contract_changes: list[ContractChange]
    audits: list[AuditLine]
    facilitations: list[FacilitationLine]
    cases: list[CaseLine]
    action_plans: list[ActionPlanGroup] = Field(
        default_factory=list,
        description="Per territory and account manager, as the plans stood at the period's "
        "end: plans by status, indicators green/amber/red, open deviations by cause, open and "
        "overdue corrective actions, resources approved and committed",
    )
    market: MarketSection = Field(
        default_factory=lambda: MarketSection(
            observations=[], positioning=[], top_moves=[], competitors=[]
        ),
        description="Observations per territory and kind, price positioning per range and "
        "territory, the largest index moves and the most observed competitors, in the period",
    )
    as_of: AsOf


class StoredReportOut(BaseModel):
    id: uuid.UUID
    period: str
    start: date
    end: date
    produced_at: datetime
    as_of: AsOf
    figures: CentralReportFigures
    download_path: str


class StoredReportPage(BaseModel):
    items: list[StoredReportOut]
    next_cursor: str | None
