from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints, field_validator

from tread_shared.http.inputs import JsonBody
from tread_shared.money import Money
from tread_shared.quantities import Count

TierCode = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$"), Field(examples=["gold"])
]
CriterionCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,29}$"), Field(examples=["LP1"])
]
# Strict: JSON ``false`` is not a score. JsonBody checks a body's own fields; a score inside a
# map (a tier's ``min_scores``) is checked by its type.
Score = Annotated[int, Strict(), Field(ge=0, le=100)]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4)]
Weight = Annotated[Decimal, Field(gt=0, le=100, decimal_places=2)]


class NamedRequirementIn(JsonBody):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    minimum: Annotated[Decimal, Field(ge=0)] | None = None


class Tier(JsonBody):
    """A tier's requirements (volume, audit score per criterion, others) and benefits. Frozen:
    a contract's tier is validated once and shared by every read of it (``tier_terms``)."""

    model_config = ConfigDict(frozen=True)

    code: TierCode
    name: Annotated[str, StringConstraints(max_length=100)] | None = None
    min_annual_volume: Count = 0
    min_scores: dict[CriterionCode, Score] = {}
    criterion_weights: Annotated[
        dict[CriterionCode, Weight],
        Field(
            description="Weight of each criterion in an audit's overall score (a weighted "
            "mean); a criterion not named weighs 1, so none given is the plain mean"
        ),
    ] = {}
    other_requirements: list[NamedRequirementIn] = []
    pace_tolerance_pct: Annotated[
        Percent | None,
        Field(description="Behind pace by at most this is on track (default: the service's)"),
    ] = None
    seasonal_profile: Annotated[
        Literal["flat", "last_year"] | Annotated[list[Weight], Field(min_length=12, max_length=12)],
        Field(
            description="How a volume is expected through the year: flat (each month alike), "
            "last_year (the account's monthly sell-in a year earlier) or twelve monthly weights "
            "from January"
        ),
    ] = "flat"
    rebate_pct: Percent = Decimal(0)
    facilitation_budget: Money


class ProgramIn(JsonBody):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=4000)] | None = None
    tiers: Annotated[list[Tier], Field(min_length=1, max_length=20)]

    @field_validator("tiers")
    @classmethod
    def _distinct_codes(cls, tiers: list[Tier]) -> list[Tier]:
        codes = [tier.code for tier in tiers]
        if len(set(codes)) != len(codes):
            raise ValueError("tier codes must be distinct")
        return tiers


class ProgramVersionOut(BaseModel):
    program_id: uuid.UUID
    version: int
    name: str
    description: str | None
    tiers: list[Tier]
    published_at: datetime
    published_by: str


class ProgramOut(ProgramVersionOut):
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class ProgramPage(BaseModel):
    items: list[ProgramOut]
    next_cursor: str | None = None
