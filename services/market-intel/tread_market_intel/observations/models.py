from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_market_intel.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import ExactDecimal, UTCDateTime

POSITIONING_COLUMNS = ("kind", "deleted_at", "competitor", "price_amount", "currency", "outlier")


class Observation(EntityMixin, Base):
    __tablename__ = "observations"
    __table_args__ = (
        # Price positioning and the outlier check: one product's prices in one territory. On
        # PostgreSQL the index also holds what positioning reads, so that its 2,000 rows of a
        # million come from the index alone, not from 2,000 scattered table pages.
        Index(
            "ix_observations_positioning",
            "product_code",
            "territory",
            "observed_at",
            postgresql_include=[*POSITIONING_COLUMNS],
        ),
    )

    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    territory: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    product_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    competitor: Mapped[str | None] = mapped_column(String(100), nullable=True)
    competitor_product_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    price_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    unit: Mapped[str | None] = mapped_column(String(20), nullable=True)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    confidence: Mapped[str] = mapped_column(String(10), nullable=False)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    outlier: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    outlier_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
