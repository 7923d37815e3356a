from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from tread_contracts.programs.schemas import CriterionCode, Score, TierCode
from tread_shared.dates import PlausibleTime
from tread_shared.http.inputs import JsonBody

Note = Annotated[str, StringConstraints(max_length=4000)]


class CriterionScoreIn(JsonBody):
    criterion: CriterionCode
    score: Score
    evidence: Note | None = None
    comment: Note | None = None


class AuditIn(JsonBody):
    """An audit of a contract (``contract_id``), or before any contract of a program tier
    (``program_id`` and ``tier``: a pre-partnership audit, to decide a partnership)."""

    account_id: uuid.UUID
    contract_id: uuid.UUID | None = None
    program_id: uuid.UUID | None = None
    tier: TierCode | None = None
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

    @model_validator(mode="after")
    def _contract_or_program_tier(self) -> AuditIn:
        if self.contract_id is not None and (self.program_id or self.tier):
            raise ValueError("give a contract_id, or a program_id and a tier, not both")
        if self.contract_id is None and (self.program_id is None or self.tier is None):
            raise ValueError("give a contract_id, or a program_id and a tier")
        return self


class CriterionScoreOut(CriterionScoreIn):
    required: int | None = Field(
        description="What the contract (or the tier, before any contract) requires, if anything"
    )


class GapOut(BaseModel):
    criterion: str
    score: int | None = Field(description="null when the criterion was not scored")
    required: int


class AuditOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    contract_id: uuid.UUID | None = Field(description="null for a pre-partnership audit")
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
