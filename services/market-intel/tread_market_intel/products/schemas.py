from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from tread_market_intel.fields import Label, Name, Price, ProductCode, UsageType
from tread_shared.dates import PlausibleDate
from tread_shared.http.inputs import Input
from tread_shared.money import Money

ProductKind = Literal["tyre", "retread", "service"]
ProductStatus = Literal["active", "discontinued"]
Territory = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class TyreSpec(Input):
    """Size and service description of a tyre: 315/80 R22.5 156/150 L."""

    width: Annotated[int, Field(ge=100, le=500, description="Section width, mm")]
    aspect_ratio: Annotated[int, Field(ge=20, le=120, description="Height ÷ width, percent")]
    rim: Annotated[
        Decimal, Field(ge=8, le=57, multiple_of=Decimal("0.5"), description="Rim diameter, in")
    ]
    load_index: (
        Annotated[str, StringConstraints(pattern=r"^\d{2,3}(/\d{2,3})?$", max_length=7)] | None
    ) = None
    speed_index: Annotated[str, StringConstraints(pattern=r"^[A-HJ-NP-Z]$")] | None = None


class ProductFields(Input):
    brand: Label
    range: Label | None = None
    name: Name
    spec: TyreSpec | None = Field(None, description="Tyres and retreads: their size")
    usage_types: Annotated[list[UsageType], Field(max_length=10)] = []


def _spec_fits_kind(kind: str, spec: TyreSpec | None) -> None:
    if kind in ("tyre", "retread") and spec is None:
        raise ValueError(f"a {kind} needs its spec (width, aspect_ratio, rim)")
    if kind == "service" and spec is not None:
        raise ValueError("a service has no tyre spec")


class ProductIn(ProductFields):
    code: ProductCode
    kind: ProductKind
    status: ProductStatus = "active"

    @model_validator(mode="after")
    def _spec(self) -> ProductIn:
        _spec_fits_kind(self.kind, self.spec)
        return self


class ProductPatch(Input):
    brand: Label | None = None
    range: Label | None = None
    name: Name | None = None
    spec: TyreSpec | None = None
    usage_types: Annotated[list[UsageType], Field(max_length=10)] | None = None
    status: ProductStatus | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_stay_set(cls, values: Any) -> Any:
        if isinstance(values, dict):
            cleared = [
                n
                for n in ("brand", "name", "usage_types", "status")
                if n in values and values[n] is None
            ]
            if cleared:
                raise ValueError(f"cannot be null: {', '.join(cleared)}")
        return values


class ProductOut(BaseModel):
    id: uuid.UUID
    code: str
    kind: ProductKind
    brand: str
    range: str | None
    name: str
    spec: dict[str, Any] | None
    usage_types: list[str]
    status: ProductStatus
    created_at: datetime
    updated_at: datetime
    version: int


class PriceIn(Input):
    territory: Territory | None = Field(
        None, description="Omitted: the default price, for territories without their own"
    )
    list_price: Price
    valid_from: PlausibleDate
    valid_to: PlausibleDate | None = Field(
        None, description="Inclusive; omitted: until further notice"
    )

    @model_validator(mode="after")
    def _period(self) -> PriceIn:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class PriceOut(BaseModel):
    id: uuid.UUID
    product_id: uuid.UUID
    product_code: str
    territory: str | None
    list_price: Money
    valid_from: date
    valid_to: date | None
    changed_by: str
    updated_at: datetime
    version: int


class PriceInForce(BaseModel):
    """The list price that applies to a product in a territory on a day."""

    product_code: str
    territory: str | None = Field(description="The territory asked about")
    on: date
    price_territory: str | None = Field(
        description="Whose entry applies: the territory's own, or null for the default"
    )
    list_price: Money
    valid_from: date
    valid_to: date | None
    price_entry_id: uuid.UUID
