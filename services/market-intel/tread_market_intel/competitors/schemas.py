from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from tread_market_intel.fields import Label, Name, ProductCode
from tread_market_intel.products.schemas import TyreSpec
from tread_shared.http.inputs import Input

Positioning = Literal["premium", "mid", "budget"]


class EquivalenceIn(Input):
    product_code: ProductCode
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


Equivalents = Annotated[list[EquivalenceIn], Field(max_length=50)]


class CompetitorProductIn(Input):
    competitor: Label
    brand: Label
    range: Label | None = None
    name: Name
    spec: TyreSpec | None = None
    positioning: Positioning
    equivalents: Equivalents = Field(
        [], description="Own products it competes with (codes of the catalogue)"
    )


class CompetitorProductPatch(Input):
    competitor: Label | None = None
    brand: Label | None = None
    range: Label | None = None
    name: Name | None = None
    spec: TyreSpec | None = None
    positioning: Positioning | None = None
    equivalents: Equivalents | None = Field(None, description="Replaces the equivalences")

    @model_validator(mode="before")
    @classmethod
    def _required_stay_set(cls, values: Any) -> Any:
        if isinstance(values, dict):
            required = ("competitor", "brand", "name", "positioning", "equivalents")
            cleared = [n for n in required if n in values and values[n] is None]
            if cleared:
                raise ValueError(f"cannot be null: {', '.join(cleared)}")
        return values


class EquivalenceOut(BaseModel):
    product_code: str
    note: str | None


class CompetitorProductOut(BaseModel):
    id: uuid.UUID
    competitor: str
    brand: str
    range: str | None
    name: str
    spec: dict[str, Any] | None
    positioning: Positioning
    equivalents: list[EquivalenceOut]
    created_at: datetime
    updated_at: datetime
    version: int
