from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from tread_actionplans.indicators.schemas import Value
from tread_shared.dates import PlausibleDate
from tread_shared.http.inputs import Input

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class ObjectiveIn(Input):
    """``quantitative``: bound to an indicator of the plan, with a baseline, a target and a due
    date. ``qualitative``: a statement, an evaluation scale (e.g. 1 to 5), the score aimed at and
    the evidence that will show it."""

    kind: Literal["quantitative", "qualitative"]
    statement: Text
    indicator_id: uuid.UUID | None = None
    baseline: Value | None = None
    target: Value | None = None
    due_on: PlausibleDate | None = None
    scale_min: Annotated[int, Field(ge=0, le=100)] | None = None
    scale_max: Annotated[int, Field(ge=1, le=100)] | None = None
    evidence: Text | None = None

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.kind == "quantitative":
            missing = [n for n in ("indicator_id", "target", "due_on") if getattr(self, n) is None]
            if missing:
                raise ValueError(f"a quantitative objective needs {', '.join(missing)}")
        else:
            if self.scale_min is None or self.scale_max is None:
                raise ValueError("a qualitative objective needs scale_min and scale_max")
            if self.scale_min >= self.scale_max:
                raise ValueError("scale_min comes below scale_max")
            if self.target is not None and not self.scale_min <= self.target <= self.scale_max:
                raise ValueError("the target lies on the scale")
        return self


class EvaluationIn(Input):
    """A score on the objective's scale (qualitative) or the value reached (quantitative)."""

    score: Value
    comment: Text | None = None


class ObjectiveOut(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    kind: Literal["quantitative", "qualitative"]
    statement: str
    indicator_id: uuid.UUID | None
    baseline: Decimal | None
    target: Decimal | None
    due_on: date | None
    scale_min: int | None
    scale_max: int | None
    evidence: str | None
    latest: Decimal | None = Field(
        description="The indicator's latest measured value, or the last evaluation's score"
    )
    met: bool | None
    last_comment: str | None
    evaluated_at: datetime | None
    evaluated_by: str | None
    created_at: datetime
    updated_at: datetime
    version: int
