from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from tread_contracts.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import BoundedDate, ExactDecimal, UTCDateTime
from tread_shared.ids import new_id


class FacilitationGuideline(EntityMixin, Base):
    __tablename__ = "facilitation_guidelines"

    type: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    eligible_tiers: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    eligible_segments: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    program_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("programs.id"), nullable=True
    )
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    cap_amount: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    approval_threshold_amount: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)


class Facilitation(EntityMixin, Base):
    __tablename__ = "facilitations"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    guideline_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("facilitation_guidelines.id"), nullable=False
    )
    contract_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("contracts.id"), nullable=True
    )
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    spent_amount: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    justification: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    requires_approval: Mapped[bool] = mapped_column(Boolean, nullable=False)
    requested_by: Mapped[str] = mapped_column(String(200), nullable=False)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    guideline: Mapped[FacilitationGuideline] = relationship(lazy="selectin")
    spendings: Mapped[list[FacilitationSpending]] = relationship(
        lazy="selectin", order_by="FacilitationSpending.recorded_at", cascade="all, delete-orphan"
    )


class FacilitationSpending(Base):
    __tablename__ = "facilitation_spendings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    facilitation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("facilitations.id"), nullable=False, index=True
    )
    amount: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    description: Mapped[str] = mapped_column(String(500), nullable=False)
    spent_on: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class FacilitationBudget(Base):
    """An account's use of a guideline in a year: requested (awaiting approval), granted and
    spent. Requests lock this row, so two at once cannot both fit under the cap."""

    __tablename__ = "facilitation_budgets"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    guideline_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("facilitation_guidelines.id"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    requested: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    granted: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    spent: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - SQLAlchemy's declared_attr
        return {"version_id_col": cls.version}
