from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from tread_accounts.fields import Label, Name, PersonId, Reason, refuse_nulls
from tread_accounts.qualification.quadrant import Quadrant
from tread_shared.http.inputs import Input

AccountKind = Literal["dealer", "end_user"]
AccountStatus = Literal["prospect", "active", "dormant", "closed"]
AddressKind = Literal["registered", "billing", "delivery", "site"]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
AddressLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class Address(Input):
    kind: AddressKind = "site"
    line1: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    line2: AddressLine | None = None
    city: Label
    region: Label | None = None
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = (
        None
    )
    country: CountryCode = Field(description="ISO 3166-1 alpha-2, e.g. CN")


class AddressOut(BaseModel):
    """An address as answered: what was stored, checked by :class:`Address` when written
    (answering validates it as plain values: an input model's checks cost a Python call per
    field of every address of every account on a page)."""

    kind: AddressKind
    line1: str
    line2: str | None = None
    city: str
    region: str | None = None
    postal_code: str | None = None
    country: str = Field(description="ISO 3166-1 alpha-2, e.g. CN")


Channels = Annotated[list[Label], Field(max_length=20)]
Addresses = Annotated[list[Address], Field(max_length=10)]


class AccountCreate(Input):
    kind: AccountKind
    name: Name
    territory: Label
    legal_id: Label | None = Field(None, description="e.g. unified social credit code, VAT")
    erp_customer_id: Label | None = Field(None, description="The billing system's number")
    owner_id: PersonId | None = Field(None, description="Default: the caller")
    key_account_manager_id: PersonId | None = Field(
        None, description="The account's own key account manager (admin, district manager)"
    )
    status: AccountStatus = "prospect"
    parent_id: uuid.UUID | None = Field(None, description="The dealer group")
    segment: Label | None = None
    channels: Channels = Field(default_factory=list)
    addresses: Addresses = Field(default_factory=list)


class AccountPatch(Input):
    """Only the fields sent change; ``null`` clears an optional field. The owner changes by a
    transfer, never here."""

    kind: AccountKind | None = None
    name: Name | None = None
    territory: Label | None = None
    legal_id: Label | None = None
    erp_customer_id: Label | None = None
    key_account_manager_id: PersonId | None = None
    status: AccountStatus | None = None
    parent_id: uuid.UUID | None = None
    segment: Label | None = None
    channels: Channels | None = None
    addresses: Addresses | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_stay_set(cls, values: Any) -> Any:
        if isinstance(values, dict):
            refuse_nulls(values, ("kind", "name", "territory", "status", "channels", "addresses"))
        return values


class AccountOut(BaseModel):
    id: uuid.UUID
    kind: AccountKind
    name: str
    legal_id: str | None
    erp_customer_id: str | None
    territory: str
    owner_id: str
    key_account_manager_id: str | None = Field(
        description="Effective: the account's own, else its dealer group's"
    )
    own_key_account_manager_id: str | None
    status: AccountStatus
    parent_id: uuid.UUID | None
    segment: str | None
    channels: list[str]
    addresses: list[AddressOut]
    quadrant: Quadrant | None
    created_at: datetime
    updated_at: datetime
    version: int


class TransferRequest(Input):
    owner_id: PersonId
    reason: Reason


class AssignmentOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    kind: Literal["transfer", "territory_change", "key_account_change"]
    previous_owner_id: str
    owner_id: str
    previous_territory: str
    territory: str
    previous_key_account_manager_id: str | None
    key_account_manager_id: str | None
    reason: str
    changed_by: str
    changed_at: datetime


class AccountFilters(BaseModel):
    owner_id: str | None = Field(None, max_length=200)
    territory: str | None = Field(None, max_length=100)
    kind: AccountKind | None = None
    status: AccountStatus | None = None
    segment: str | None = Field(None, max_length=100)
    quadrant: Quadrant | None = None
    parent_id: uuid.UUID | None = None
    key_account_manager_id: str | None = Field(None, max_length=200)
    q: str | None = Field(None, max_length=100, description="Part of the name, any case")
