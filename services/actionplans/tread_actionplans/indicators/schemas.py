from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from tread_actionplans.periods import PERIOD_PATTERN
from tread_shared.events.payloads.actionplans import PeriodStatus
from tread_shared.http.inputs import Input

Period = Annotated[
    str,
    StringConstraints(pattern=PERIOD_PATTERN),
    Field(description="A month (2027-03) or a quarter (2027-Q1)"),
]
Source = Literal["manual", "sell_in", "visits", "hours", "audit_score", "facilitation_spend"]
Value = Annotated[Decimal, Field(ge=-(10**12), le=10**12, max_digits=18, decimal_places=4)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class Thresholds(BaseModel):
    """How far short of the period's target is amber (``warning``) and red (``critical``):
    as a percentage of the target (``percent``) or in the indicator's unit (``absolute``).
    Short means below the target when higher is better, above it when lower is better."""

    mode: Literal["percent", "absolute"] = "percent"
    warning: Annotated[Decimal, Field(ge=0, le=10**12, max_digits=18, decimal_places=4)]
    critical: Annotated[Decimal, Field(ge=0, le=10**12, max_digits=18, decimal_places=4)]

    @model_validator(mode="after")
    def _warning_first(self) -> Self:
        if self.warning >= self.critical:
            raise ValueError("the warning threshold comes before the critical one")
        return self


class ThresholdsIn(Thresholds, Input):
    __doc__ = Thresholds.__doc__  # thresholds as sent: checked as a body (Input)


class TargetIn(Input):
    period: Period
    target: Value


class IndicatorIn(Input):
    """An indicator of the plan. ``source``: ``manual`` (measured by hand) or fed by events of
    the plan's account: ``sell_in`` (units; ``source_filter`` = one product line), ``visits``
    and ``hours`` (logged activities), ``audit_score`` (``source_filter`` = one criterion, or
    the overall score), ``facilitation_spend`` (money spent, in the unit's currency)."""

    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    direction: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    granularity: Literal["month", "quarter"] = "month"
    baseline: Value | None = None
    source: Source = "manual"
    source_filter: Annotated[str, StringConstraints(min_length=1, max_length=60)] | None = None
    aggregation: Literal["sum", "latest"] | None = Field(
        default=None,
        description="How a period's measurements add up; audit scores take the latest",
    )
    thresholds: ThresholdsIn
    targets: Annotated[list[TargetIn], Field(min_length=1, max_length=120)]


class IndicatorAmendIn(Input):
    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    thresholds: ThresholdsIn | None = None
    targets: Annotated[list[TargetIn], Field(min_length=1, max_length=120)] | None = None


class PeriodReadingOut(BaseModel):
    period: str
    target: Decimal | None
    forecast: Decimal | None
    actual: Decimal | None
    gap: Decimal | None
    status: PeriodStatus | None
    measurements: int


class IndicatorOut(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    code: str
    name: str
    unit: str
    direction: str
    granularity: str
    baseline: Decimal | None
    source: Source
    source_filter: str | None
    aggregation: str
    thresholds: Thresholds
    periods: list[PeriodReadingOut]
    created_at: datetime
    updated_at: datetime
    version: int


class MeasurementIn(Input):
    period: Period
    value: Value
    note: Note | None = None


class MeasurementOut(BaseModel):
    id: uuid.UUID
    indicator_id: uuid.UUID
    period: str
    value: Decimal
    note: str | None
    source: str
    source_event_id: str | None
    measured_at: datetime
    recorded_by: str
    created_at: datetime
    updated_at: datetime
