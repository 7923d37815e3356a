"""What the rules read of an indicator, its plan and a period, as protocols that the ORM
entities satisfy, and the plain records that satisfy them too. The event feeds (``feeds.py``)
handle hundreds of indicators per consumer batch; building, tracking and flushing ORM objects
for each was most of their time, so they read and write these records with Core statements."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol


class IndicatorRules(Protocol):
    """An indicator as its periods are judged and announced."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def code(self) -> str: ...
    @property
    def direction(self) -> str: ...
    @property
    def aggregation(self) -> str: ...
    @property
    def threshold_mode(self) -> str: ...
    @property
    def warning(self) -> Decimal: ...
    @property
    def critical(self) -> Decimal: ...
    @property
    def targets(self) -> dict[str, Any]: ...


class PlanScope(Protocol):
    """A plan as its events name it and as deviations follow it."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def status(self) -> str: ...
    @property
    def account_id(self) -> uuid.UUID | None: ...
    @property
    def territory(self) -> str | None: ...
    @property
    def owner_id(self) -> str | None: ...


class PeriodRow(Protocol):
    """A period's figures as the events and deviations read them."""

    @property
    def period(self) -> str: ...
    @property
    def actual(self) -> Decimal: ...
    @property
    def status(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class FedIndicator:
    """An event-fed indicator, read as a row."""

    id: uuid.UUID
    code: str
    unit: str
    direction: str
    granularity: str
    source: str
    source_filter: str | None
    aggregation: str
    threshold_mode: str
    warning: Decimal
    critical: Decimal
    targets: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FedPlan:
    """The plan of an event-fed indicator, read as a row."""

    id: uuid.UUID
    status: str
    account_id: uuid.UUID | None
    territory: str | None
    owner_id: str | None
    start_date: date
    end_date: date


@dataclass(slots=True)
class PeriodFigures:
    """An indicator's period as its live measurements make it (a row of ``indicator_periods``)."""

    indicator_id: uuid.UUID
    period: str
    actual: Decimal
    measurements: int
    status: str | None
    updated_at: datetime


@dataclass(slots=True)
class FedMeasurement:
    """A measurement from an event (a row of ``measurements``), new in this batch or read."""

    id: uuid.UUID
    indicator_id: uuid.UUID
    period: str
    value: Decimal
    source: str
    source_key: str
    source_event_id: str | None
    source_version: int | None
    measured_at: datetime
    deleted_at: datetime | None
    version: int
    # Corrected in this batch: written back at its end.
    touched: bool = False
