from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, model_validator

from tread_market_intel.arguments.workflow import ArgumentStatus
from tread_market_intel.fields import Label, ProductCode, Text, UsageType
from tread_shared.http.inputs import Input

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Point = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Points = Annotated[list[Point], Field(max_length=20)]


class ArgumentIn(Input):
    product_code: ProductCode | None = Field(None, description="Omitted: any product")
    usage_type: UsageType | None = Field(None, description="Omitted: any usage")
    segment: Label | None = Field(None, description="Customer segment; omitted: any")
    title: Title
    claim: Text
    proof_points: Points = []
    sources: Points = []


class ArgumentPatch(Input):
    """Text changes (drafts only, each a new version) and/or a move along the workflow."""

    title: Title | None = None
    claim: Text | None = None
    proof_points: Points | None = None
    sources: Points | None = None
    status: ArgumentStatus | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_stay_set(cls, values: Any) -> Any:
        if isinstance(values, dict):
            cleared = [n for n in cls.model_fields if n in values and values[n] is None]
            if cleared:
                raise ValueError(f"cannot be null: {', '.join(cleared)}")
        return values


class ArgumentOut(BaseModel):
    id: uuid.UUID
    product_code: str | None
    usage_type: str | None
    segment: str | None
    title: str
    claim: str
    proof_points: list[str]
    sources: list[str]
    status: ArgumentStatus
    current_version: int
    author_id: str
    validated_by: str | None
    validated_at: datetime | None
    next_statuses: list[ArgumentStatus]
    created_at: datetime
    updated_at: datetime
    version: int


class ArgumentVersionOut(BaseModel):
    number: int
    title: str
    claim: str
    proof_points: list[str]
    sources: list[str]
    written_by: str
    written_at: datetime


class ArgumentFilters(BaseModel):
    product_code: str | None = Field(
        None, max_length=60, description="For this product (general arguments included)"
    )
    usage_type: UsageType | None = Field(
        None, description="For this usage (arguments for any usage included)"
    )
    segment: str | None = Field(None, max_length=100)
    status: ArgumentStatus | None = None
