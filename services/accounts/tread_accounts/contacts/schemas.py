from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import AfterValidator, BaseModel, EmailStr, Field, StringConstraints, model_validator

from tread_accounts.fields import Label, Note, refuse_nulls
from tread_shared.http.inputs import Input

ContactRole = Literal["owner", "buyer", "workshop_manager", "fleet_manager", "accountant", "other"]


def international_phone(value: str) -> str:
    """A phone number in international form, stored as E.164 (``+8613800138000``)."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(
            "a phone number starts with + and the country code, e.g. +86 138 0013 8000"
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number for its country")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=30),
    AfterValidator(international_phone),
]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]
FullName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Roles = Annotated[list[ContactRole], Field(max_length=6)]


class Consents(Input):
    """What the contact agreed to; absent means no."""

    email_marketing: bool = False
    sms_marketing: bool = False
    phone_calls: bool = False


class ContactCreate(Input):
    full_name: FullName
    roles: Roles = Field(default_factory=list)
    job_title: Label | None = None
    phone: Phone | None = None
    email: Email | None = None
    consents: Consents = Field(default_factory=Consents)
    notes: Note | None = None


class ContactPatch(Input):
    full_name: FullName | None = None
    roles: Roles | None = None
    job_title: Label | None = None
    phone: Phone | None = None
    email: Email | None = None
    consents: Consents | None = None
    notes: Note | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_stay_set(cls, values: Any) -> Any:
        if isinstance(values, dict):
            refuse_nulls(values, ("full_name", "roles", "consents"))
        return values


class ContactOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    full_name: str
    roles: list[ContactRole]
    job_title: str | None
    phone: str | None
    email: str | None
    consents: Consents
    consents_recorded_at: datetime | None
    notes: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class ContactFilters(BaseModel):
    account_id: uuid.UUID | None = None
    q: str | None = Field(None, max_length=100, description="Part of the name, any case")
