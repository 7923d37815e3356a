from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from tread_actionplans.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import BoundedDate, ExactDecimal, UTCDateTime


class Deviation(EntityMixin, Base):
    __tablename__ = "deviations"
    __table_args__ = (
        # Once per indicator and period: a period that recovers and falls back reopens it.
        Index(
            "uq_deviations_indicator_period",
            "indicator_id",
            "period",
            unique=True,
            sqlite_where=text("indicator_id IS NOT NULL"),
            postgresql_where=text("indicator_id IS NOT NULL"),
        ),
        Index(
            "uq_deviations_plan_contract",
            "plan_id",
            "contract_id",
            unique=True,
            sqlite_where=text("contract_id IS NOT NULL"),
            postgresql_where=text("contract_id IS NOT NULL"),
        ),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("plans.id"), nullable=False, index=True
    )
    origin: Mapped[str] = mapped_column(String(20), nullable=False)
    indicator_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("indicators.id"), nullable=True
    )
    period: Mapped[str | None] = mapped_column(String(10), nullable=True)
    contract_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    severity: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    cause: Mapped[str | None] = mapped_column(String(30), nullable=True)
    analysis: Mapped[str | None] = mapped_column(Text, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


@dataclass(slots=True)
class NewDeviation:
    """A deviation an event batch opens, as the row it inserts: the batch opens hundreds, and an
    ORM object each (built, never added to the session) cost more than the rest of opening it.
    The same attributes as :class:`Deviation`; changed in the batch, it is inserted as it ends."""

    plan_id: uuid.UUID
    origin: str
    indicator_id: uuid.UUID | None
    period: str | None
    contract_id: uuid.UUID | None
    severity: str
    status: str
    cause: str | None
    analysis: str | None
    opened_at: datetime
    closed_at: datetime | None
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    version: int


AnyDeviation = Deviation | NewDeviation


class CorrectiveAction(EntityMixin, Base):
    __tablename__ = "corrective_actions"

    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("plans.id"), nullable=False, index=True
    )
    deviation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("deviations.id"), nullable=True, index=True
    )
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    owner_id: Mapped[str] = mapped_column(String(200), nullable=False)
    due_on: Mapped[date] = mapped_column(BoundedDate, nullable=False, index=True)
    budget: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    expected_effect: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    overdue_noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
