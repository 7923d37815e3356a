from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_accounts.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import ExactDecimal, UTCDateTime


class PotentialQualification(EntityMixin, Base):
    """One qualification of an account on potential against current result, kept for its
    history: ``proposed`` by whoever works the account, then ``validated`` or ``rejected`` by
    a district manager. The latest validated one is the account's."""

    __tablename__ = "potential_qualifications"
    __table_args__ = (Index("ix_potential_qualifications_account", "account_id", "qualified_at"),)

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id"), nullable=False)
    segment: Mapped[str] = mapped_column(String(100), nullable=False)
    # Potential: the account manager's estimate, times the share we can win.
    estimated_purchases_units: Mapped[int] = mapped_column(Integer, nullable=False)
    target_share_pct: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    potential_units: Mapped[int] = mapped_column(Integer, nullable=False)
    # Current result: sell-in recorded over the twelve months before, and the margin.
    sell_in_from: Mapped[str] = mapped_column(String(7), nullable=False)
    sell_in_to: Mapped[str] = mapped_column(String(7), nullable=False)
    sell_in_units: Mapped[int] = mapped_column(Integer, nullable=False)
    margin_amount: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    margin_currency: Mapped[str] = mapped_column(String(3), nullable=False)
    high_potential: Mapped[bool] = mapped_column(Boolean, nullable=False)
    high_result: Mapped[bool] = mapped_column(Boolean, nullable=False)
    quadrant: Mapped[str] = mapped_column(String(30), nullable=False)
    # The service level the quadrant recommends, and what the account manager plans.
    recommended_visits: Mapped[int] = mapped_column(Integer, nullable=False)
    recommended_hours: Mapped[int] = mapped_column(Integer, nullable=False)
    recommended_budget: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    planned_visits: Mapped[int] = mapped_column(Integer, nullable=False)
    planned_hours: Mapped[int] = mapped_column(Integer, nullable=False)
    planned_budget: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    budget_currency: Mapped[str] = mapped_column(String(3), nullable=False)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    qualified_by: Mapped[str] = mapped_column(String(200), nullable=False)
    qualified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
