from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_actionplans.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import ExactDecimal, UTCDateTime


class Indicator(EntityMixin, Base):
    __tablename__ = "indicators"
    __table_args__ = (
        UniqueConstraint("plan_id", "code"),
        # An event finds the indicators it feeds by account and source: read from the index,
        # not from each of the account's indicators (ten rows per account in the benchmark).
        Index("ix_indicators_account_source", "account_id", "source"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("plans.id"), nullable=False, index=True
    )
    # Copied from the plan, so that an event finds the indicators it feeds in one lookup.
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    unit: Mapped[str] = mapped_column(String(40), nullable=False)
    direction: Mapped[str] = mapped_column(String(20), nullable=False)
    granularity: Mapped[str] = mapped_column(String(10), nullable=False)
    baseline: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    source: Mapped[str] = mapped_column(String(30), nullable=False)
    # The product line (sell_in) or criterion (audit_score) the source is narrowed to.
    source_filter: Mapped[str | None] = mapped_column(String(60), nullable=True)
    aggregation: Mapped[str] = mapped_column(String(10), nullable=False)
    threshold_mode: Mapped[str] = mapped_column(String(10), nullable=False)
    warning: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    critical: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    # {period: target}; a re-forecast keeps its own path beside it.
    targets: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    forecast: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class IndicatorPeriod(Base):
    """An indicator's period as its measurements left it: what the status page and deviations
    read, kept up to date on every measurement instead of summed on every read."""

    __tablename__ = "indicator_periods"

    indicator_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("indicators.id"), primary_key=True
    )
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    actual: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    measurements: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Measurement(EntityMixin, Base):
    """A value of an indicator in a period: entered by hand, or from an event (``source_key``
    names what it measures, e.g. one activity, so a corrected event corrects it)."""

    __tablename__ = "measurements"
    __table_args__ = (
        UniqueConstraint("indicator_id", "source_key"),
        Index("ix_measurements_indicator_period", "indicator_id", "period"),
    )

    indicator_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("indicators.id"), nullable=False
    )
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    value: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(String(30), nullable=False)
    source_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source_event_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The source's own version (or stream sequence): an older event never overwrites a newer.
    source_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
