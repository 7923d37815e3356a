"""Market-intel facts as their events described them: each observation (a fact), each
product's range (for grouping positioning), each product, territory and month's positioning
as its latest band crossing said, and every crossing (dated, for a period's report)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_reporting.base import Base
from tread_reporting.columns import ScaledAmount
from tread_shared.db.types import UTCDateTime


class MarketObservationRecord(Base):
    __tablename__ = "rm_market_observations"
    __table_args__ = (
        Index("ix_rm_market_observations_seen", "generation", "observed_at", "territory"),
    )

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    observation_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    territory: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    product_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    competitor: Mapped[str | None] = mapped_column(String(100), nullable=True)
    outlier: Mapped[bool] = mapped_column(Boolean, nullable=False)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # When market-intel recorded it (its event's time); unknown for rows from before it was kept.
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MarketProductRecord(Base):
    __tablename__ = "rm_market_products"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    range: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)


class MarketPositioningRecord(Base):
    __tablename__ = "rm_market_positioning"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_code: Mapped[str] = mapped_column(String(60), primary_key=True)
    territory: Mapped[str] = mapped_column(String(100), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    # The stream sequence: the later crossing of the same month wins.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    index: Mapped[Decimal] = mapped_column(ScaledAmount, nullable=False)
    previous_index: Mapped[Decimal | None] = mapped_column(ScaledAmount, nullable=True)
    band: Mapped[str] = mapped_column(String(10), nullable=False)
    previous_band: Mapped[str | None] = mapped_column(String(10), nullable=True)
    observations: Mapped[int] = mapped_column(Integer, nullable=False)


class MarketPositioningHistoryRecord(Base):
    """Every band crossing of a product, territory and month, dated by its event: the central
    report reads the crossing in force at a period's end (a later one for the same month does
    not change a past report)."""

    __tablename__ = "rm_market_positioning_history"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_code: Mapped[str] = mapped_column(String(60), primary_key=True)
    territory: Mapped[str] = mapped_column(String(100), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    # The stream sequence.
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    index: Mapped[Decimal] = mapped_column(ScaledAmount, nullable=False)
    previous_index: Mapped[Decimal | None] = mapped_column(ScaledAmount, nullable=True)
    band: Mapped[str] = mapped_column(String(10), nullable=False)
    previous_band: Mapped[str | None] = mapped_column(String(10), nullable=True)
    observations: Mapped[int] = mapped_column(Integer, nullable=False)
