from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_accounts.base import Base
from tread_shared.db.types import ExactDecimal, UTCDateTime
from tread_shared.ids import new_id


class AccountFinancials(Base):
    """The last values known from the credit and billing systems, with the time of each."""

    __tablename__ = "account_financials"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id"), primary_key=True)
    credit: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    credit_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    open_invoices: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    open_invoices_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebhookReceipt(Base):
    """A webhook event applied: a repeated event id is acknowledged, not applied again."""

    __tablename__ = "webhook_receipts"

    system: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    type: Mapped[str] = mapped_column(String(100), nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class SellInVolume(Base):
    """Units (and amount) a dealer bought in a month, per product line, from billing."""

    __tablename__ = "sell_in_volumes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id"), nullable=False)
    month: Mapped[str] = mapped_column(String(7), nullable=False)
    product_line: Mapped[str] = mapped_column(String(100), nullable=False)
    units: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    source_event_id: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (UniqueConstraint("account_id", "month", "product_line"),)
