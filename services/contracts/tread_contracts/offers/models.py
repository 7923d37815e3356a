from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tread_contracts.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import BoundedDate, ExactDecimal, UTCDateTime
from tread_shared.ids import new_id


class Offer(EntityMixin, Base):
    """An offer to an account; its terms are those of its latest revision."""

    __tablename__ = "offers"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    current_revision: Mapped[int] = mapped_column(Integer, nullable=False)
    valid_until: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rejection_stage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    revisions: Mapped[list[OfferRevision]] = relationship(
        back_populates="offer", lazy="selectin", order_by="OfferRevision.number"
    )

    @property
    def latest(self) -> OfferRevision:
        return self.revisions[-1]


class OfferRevision(Base):
    """One round of negotiation: the lines as offered then, kept for the history."""

    __tablename__ = "offer_revisions"
    __table_args__ = (UniqueConstraint("offer_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    offer_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("offers.id"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    valid_until: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    requires_approval: Mapped[bool] = mapped_column(Boolean, nullable=False)
    discount_limit_pct: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    list_total: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    net_total: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    max_discount_pct: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    offer: Mapped[Offer] = relationship(back_populates="revisions")
    lines: Mapped[list[OfferLine]] = relationship(
        lazy="selectin", order_by="OfferLine.position", cascade="all, delete-orphan"
    )


class OfferLine(Base):
    __tablename__ = "offer_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    revision_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("offer_revisions.id"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    product_code: Mapped[str] = mapped_column(String(60), nullable=False)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    list_price: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    discount_pct: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    net_amount: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    # The catalogue's list price when the line states another one (flagged for the approver).
    catalogue_list_price: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
