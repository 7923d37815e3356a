from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from tread_actionplans.deviations.schemas import CorrectiveActionIn
from tread_actionplans.indicators.schemas import Value
from tread_shared.dates import PlausibleTime
from tread_shared.http.inputs import Input

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
Participant = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ObjectiveEvaluationIn(BaseModel):
    objective_id: uuid.UUID
    score: Value
    comment: Annotated[str, StringConstraints(max_length=4000)] | None = None


# An evaluation as sent, checked as a body (Input); a meeting answers ObjectiveEvaluationIn (the
# names the OpenAPI document has given the two all along). No docstring: none in the document.
class ObjectiveEvaluationInput(ObjectiveEvaluationIn, Input):
    pass


class DecisionIn(CorrectiveActionIn):
    """A decision of the meeting: it becomes a corrective action (against ``deviation_id``
    when given)."""

    deviation_id: uuid.UUID | None = None


class MeetingIn(Input):
    held_at: PlausibleTime
    participants: Annotated[list[Participant], Field(min_length=1, max_length=50)]
    agenda: Text | None = None
    minutes: Text | None = None
    evaluations: Annotated[list[ObjectiveEvaluationInput], Field(max_length=100)] = []
    decisions: Annotated[list[DecisionIn], Field(max_length=50)] = []


class MeetingOut(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    held_at: datetime
    participants: list[str]
    agenda: str | None
    minutes: str | None
    evaluations: list[ObjectiveEvaluationIn]
    corrective_action_ids: list[uuid.UUID]
    recorded_by: str
    created_at: datetime
    updated_at: datetime
    version: int
