from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_reporting.base import Base
from tread_reporting.columns import ScaledAmount
from tread_shared.db.types import UTCDateTime


class SellInRecord(Base):
    """Units sold to an account in a month, for one product line (the latest report wins)."""

    __tablename__ = "rm_sell_in"
    __table_args__ = (Index("ix_rm_sell_in_month", "generation", "month"),)

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    product_line: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Sell-in events carry no version: their order in the stream is their order.
    stream_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    units: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(ScaledAmount, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)


class CreditRecord(Base):
    """An account's latest credit status."""

    __tablename__ = "rm_credit"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    stream_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    blocked: Mapped[bool] = mapped_column(Boolean, nullable=False)
    credit_limit: Mapped[Decimal] = mapped_column(ScaledAmount, nullable=False)
    exposure: Mapped[Decimal] = mapped_column(ScaledAmount, nullable=False)
    overdue_amount: Mapped[Decimal | None] = mapped_column(ScaledAmount, nullable=True)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
