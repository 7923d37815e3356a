from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator

from tread_contracts.programs.schemas import CriterionCode, Score
from tread_shared.dates import PlausibleTime

Note = Annotated[str, StringConstraints(max_length=4000)]


class CriterionScoreIn(BaseModel):
    criterion: CriterionCode
    score: Score
    evidence: Note | None = None
    comment: Note | None = None


class AuditIn(BaseModel):
    account_id: uuid.UUID
    contract_id: uuid.UUID
    performed_at: PlausibleTime
    auditor: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    scores: Annotated[list[CriterionScoreIn], Field(min_length=1, max_length=100)]

    @field_validator("scores")
    @classmethod
    def _one_score_per_criterion(cls, scores: list[CriterionScoreIn]) -> list[CriterionScoreIn]:
        criteria = [s.criterion for s in scores]
        if len(set(criteria)) != len(criteria):
            raise ValueError("each criterion is scored once")
        return scores


class CriterionScoreOut(CriterionScoreIn):
    required: int | None = Field(description="What the contract requires, if anything")


class GapOut(BaseModel):
    criterion: str
    score: int | None = Field(description="null when the criterion was not scored")
    required: int


class AuditOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    contract_id: uuid.UUID
    program_id: uuid.UUID
    program_version: int
    tier: str
    performed_at: datetime
    auditor: str
    scores: list[CriterionScoreOut]
    overall_score: Decimal
    gaps: list[GapOut]
    recorded_by: str
    created_at: datetime
    updated_at: datetime


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None = None
