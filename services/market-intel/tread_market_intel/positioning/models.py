from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tread_market_intel.base import Base
from tread_shared.db.types import ExactDecimal, UTCDateTime


class PositioningBand(Base):
    """Where a product's monthly index in a territory last stood against the band, so that
    crossing it is announced once."""

    __tablename__ = "positioning_bands"

    product_code: Mapped[str] = mapped_column(String(60), primary_key=True)
    territory: Mapped[str] = mapped_column(String(100), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    index: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    band: Mapped[str] = mapped_column(String(10), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # When the index last crossed the band (and the event said so): what digests report.
    crossed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
