from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_reporting.base import Base
from tread_reporting.columns import ScaledAmount
from tread_shared.db.types import BoundedDate, UTCDateTime


class ContractRecord(Base):
    """A contract as its latest event described it (``ContractState``)."""

    __tablename__ = "rm_contracts"
    __table_args__ = (
        Index("ix_rm_contracts_account", "generation", "account_id", "current"),
        Index("ix_rm_contracts_status_end", "generation", "status", "end_date"),
    )

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    program_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    program_name: Mapped[str] = mapped_column(String(300), nullable=False)
    program_version: Mapped[int] = mapped_column(Integer, nullable=False)
    tier: Mapped[str] = mapped_column(String(50), nullable=False)
    start_date: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    end_date: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    # Which of an account's contracts is its partnership: the greatest rank (see
    # ``partnerships.events.contract_rank``), so no event has to look at the others.
    rank: Mapped[str] = mapped_column(String(80), nullable=False)
    # Whether it is the account's partnership (greatest rank), recomputed after each change
    # of the account's contracts, so lists need not compare ranks.
    current: Mapped[bool] = mapped_column(Boolean, nullable=False)
    commitments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    signatures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    renews_contract_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    rebate_pct: Mapped[Decimal] = mapped_column(ScaledAmount, nullable=False)
    facilitation_budget: Mapped[Decimal] = mapped_column(ScaledAmount, nullable=False)
    facilitation_currency: Mapped[str] = mapped_column(String(3), nullable=False)


class AuditRecord(Base):
    """A partnership audit: scores per criterion, overall score, gaps."""

    __tablename__ = "rm_audits"
    __table_args__ = (
        Index("ix_rm_audits_account_performed", "generation", "account_id", "performed_at"),
        Index("ix_rm_audits_performed", "generation", "performed_at"),
    )

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    # None for a pre-partnership audit (of a program tier, before any contract).
    contract_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    program_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    tier: Mapped[str] = mapped_column(String(50), nullable=False)
    performed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    auditor: Mapped[str] = mapped_column(String(200), nullable=False)
    overall_score: Mapped[Decimal] = mapped_column(ScaledAmount, nullable=False)
    scores: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    gaps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    gap_count: Mapped[int] = mapped_column(Integer, nullable=False)


class FacilitationRecord(Base):
    """A facilitation request and where it stands (requested, granted, rejected)."""

    __tablename__ = "rm_facilitations"
    __table_args__ = (
        Index("ix_rm_facilitations_account_year", "generation", "account_id", "year"),
    )

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    facilitation_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    guideline_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    type: Mapped[str] = mapped_column(String(40), nullable=False)
    contract_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    tier: Mapped[str | None] = mapped_column(String(50), nullable=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[Decimal] = mapped_column(ScaledAmount, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)


class ComplianceRecord(Base):
    """The contracts service's latest verdict on a contract's commitments."""

    __tablename__ = "rm_compliance"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # Compliance events carry no version: their order in the stream is their order.
    stream_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    overall: Mapped[str] = mapped_column(String(20), nullable=False)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    as_of: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class RebateRecord(Base):
    """The rebate a contract earned for its period (``rebate.earned``), settled once."""

    __tablename__ = "rm_rebates"
    __table_args__ = (Index("ix_rm_rebates_account", "generation", "account_id", "period_end"),)

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    tier: Mapped[str] = mapped_column(String(50), nullable=False)
    tier_reached: Mapped[str | None] = mapped_column(String(50), nullable=True)
    rebate_pct: Mapped[Decimal] = mapped_column(ScaledAmount, nullable=False)
    period_start: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    period_end: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    compliance: Mapped[str] = mapped_column(String(20), nullable=False)
    sell_in_units: Mapped[int] = mapped_column(Integer, nullable=False)
    # ``RebateAmount``s as the event carries them: sell-in value and rebate per currency.
    amounts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    judged_on: Mapped[date] = mapped_column(BoundedDate, nullable=False)
