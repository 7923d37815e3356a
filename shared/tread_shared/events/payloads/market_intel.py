"""Events of the market-intel service: the catalogue and its price books, selling arguments,
field observations, price positioning and the weekly digests.

Product events carry the whole product (``ProductState``) at its ``product_version``, so a
consumer (contracts keeps a copy of the catalogue) upserts and ignores anything older than what
it holds; a price-list event carries one price-book entry at its ``entry_version``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from tread_shared.events.registry import EventPayload
from tread_shared.money import Money

ProductKind = Literal["tyre", "retread", "service"]
ProductStatus = Literal["active", "discontinued"]

# -- catalogue --------------------------------------------------------------------------------


class ProductState(BaseModel):
    """A product of the catalogue as it is at ``product_version``."""

    product_id: uuid.UUID
    code: str
    kind: ProductKind
    brand: str
    range: str | None = None
    name: str
    spec: dict[str, Any] = {}
    usage_types: list[str] = []
    status: ProductStatus
    product_version: int


class ProductEvent(EventPayload):
    service = "market-intel"
    entity = "product"

    product: ProductState
    changed_by: str


class ProductCreated(ProductEvent):
    """A product or service entered the catalogue (by hand or by a CSV import)."""

    verb = "created"


class ProductChanged(ProductEvent):
    """A product's description changed (name, range, spec, usage types, or reactivation)."""

    verb = "changed"

    changed_fields: list[str]


class ProductDiscontinued(ProductEvent):
    """A product was discontinued: offers may no longer name it."""

    verb = "discontinued"


class PriceListChanged(EventPayload):
    """A price-book entry was set: the list price of a product for a territory (``null``: the
    default for every territory without its own) from ``valid_from`` to ``valid_to``
    (inclusive; ``null``: until further notice). The price in force on a day is the entry of
    the latest ``valid_from`` on or before it, the territory's own before the default."""

    service = "market-intel"
    entity = "price_list"
    verb = "changed"

    price_entry_id: uuid.UUID
    product_id: uuid.UUID
    product_code: str
    territory: str | None
    list_price: Money
    valid_from: date
    valid_to: date | None
    entry_version: int
    changed_by: str


# -- selling arguments ------------------------------------------------------------------------


class ArgumentState(BaseModel):
    argument_id: uuid.UUID
    argument_version: int
    product_code: str | None
    usage_type: str | None
    segment: str | None
    title: str
    claim: str
    proof_points: list[str]
    sources: list[str]


class ArgumentSubmitted(EventPayload):
    """Its author submitted a selling argument: it waits for central to validate it or send
    it back."""

    service = "market-intel"
    entity = "argument"
    verb = "submitted"

    argument: ArgumentState
    submitted_by: str
    submitted_at: datetime


class ArgumentSentBack(EventPayload):
    """Central sent a submitted selling argument back to draft (its author rewrites it)."""

    service = "market-intel"
    entity = "argument"
    verb = "sent_back"

    argument: ArgumentState
    sent_back_by: str
    sent_back_at: datetime


class ArgumentValidated(EventPayload):
    """Central validated a selling argument: field roles now see it."""

    service = "market-intel"
    entity = "argument"
    verb = "validated"

    argument: ArgumentState
    validated_by: str
    validated_at: datetime


class ArgumentRetired(EventPayload):
    """A validated selling argument was retired: field roles no longer see it."""

    service = "market-intel"
    entity = "argument"
    verb = "retired"

    argument: ArgumentState
    retired_by: str
    retired_at: datetime


# -- observations -----------------------------------------------------------------------------


class ObservationRecorded(EventPayload):
    """A field observation was recorded; a price far outside the recent range for its product
    and territory is kept but flagged ``outlier`` (and left out of price positioning)."""

    service = "market-intel"
    entity = "observation"
    verb = "recorded"

    observation_id: uuid.UUID
    kind: str
    territory: str
    account_id: uuid.UUID | None
    product_code: str | None
    competitor: str | None
    competitor_product_id: uuid.UUID | None
    observed_price: Money | None
    observed_at: datetime
    confidence: str
    outlier: bool
    recorded_by: str


# -- price positioning ------------------------------------------------------------------------


class PricePositioningChanged(EventPayload):
    """The monthly price index of a product in a territory (competitor median ÷ own list price
    x 100) crossed the configured band: it moved from below, within or above the band to
    another of the three."""

    service = "market-intel"
    entity = "price_positioning"
    verb = "changed"

    product_code: str
    territory: str
    month: str
    index: Decimal
    previous_index: Decimal | None
    band: Literal["below", "within", "above"]
    previous_band: Literal["below", "within", "above"] | None
    band_low: Decimal
    band_high: Decimal
    observations: int


# -- circulation ------------------------------------------------------------------------------


class DigestIssued(EventPayload):
    """A subscriber's weekly market digest was produced; read it at ``path`` (JSON, or HTML
    for e-mail)."""

    service = "market-intel"
    entity = "digest"
    verb = "issued"

    digest_id: uuid.UUID
    subscription_id: uuid.UUID
    subscriber_id: str
    week: str
    observations: int
    positioning_changes: int
    path: str
