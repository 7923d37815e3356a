from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from tread_contracts.base import Base
from tread_shared.db.types import ExactDecimal, UTCDateTime


class SellInVolume(Base):
    """Monthly sell-in of an account, per product line, as billing last reported it."""

    __tablename__ = "sell_in_volumes"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    product_line: Mapped[str] = mapped_column(String(60), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    # The invoiced value, when billing reports it: what a rebate is paid on.
    amount: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    erp_customer_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ComplianceSnapshot(Base):
    """The last compliance announced for a contract, to emit only real changes. The version
    makes two replicas announcing the same change at once conflict instead of both emitting."""

    __tablename__ = "compliance_snapshots"

    contract_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("contracts.id"), primary_key=True
    )
    overall: Mapped[str] = mapped_column(String(20), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - SQLAlchemy's declared_attr
        return {"version_id_col": cls.version}
