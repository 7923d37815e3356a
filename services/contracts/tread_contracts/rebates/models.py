from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_contracts.base import Base
from tread_shared.db.types import BoundedDate, ExactDecimal, UTCDateTime


class EarnedRebate(Base):
    """The rebate a contract earned for its period, settled once (the primary key keeps two
    replicas from both announcing it)."""

    __tablename__ = "earned_rebates"

    contract_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("contracts.id"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    tier_reached: Mapped[str | None] = mapped_column(String(40), nullable=True)
    rebate_pct: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    compliance: Mapped[str] = mapped_column(String(20), nullable=False)
    sell_in_units: Mapped[int] = mapped_column(Integer, nullable=False)
    # Per currency: {"currency", "sell_in_value", "rebate"} (amounts as decimal strings).
    amounts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    judged_on: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
