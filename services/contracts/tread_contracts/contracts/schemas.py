from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from tread_contracts.programs.schemas import CriterionCode, Score, TierCode
from tread_shared.dates import PlausibleDate, PlausibleTime
from tread_shared.events.payloads.contracts import SignatureRecord
from tread_shared.http.inputs import JsonBody
from tread_shared.money import Money
from tread_shared.quantities import Count

ContractStatus = Literal[
    "draft", "submitted", "signed", "scheduled", "active", "renewed", "expired", "terminated"
]
Party = Literal["customer", "manufacturer"]
Period = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$"),
    Field(description="A year (2027), a quarter (2027-Q1) or a month (2027-03)"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CommitmentIn(JsonBody):
    """``volume``: ``quantity`` in ``period`` (optionally of one ``product_line``);
    ``audit_score``: at least ``min_score`` on ``criterion``; ``other``: a named term."""

    kind: Literal["volume", "audit_score", "other"]
    period: Period | None = None
    quantity: Count | None = None
    product_line: Annotated[str, StringConstraints(max_length=60)] | None = None
    criterion: CriterionCode | None = None
    min_score: Score | None = None
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _complete(self) -> Self:
        needed = {
            "volume": ("period", "quantity"),
            "audit_score": ("criterion", "min_score"),
            "other": ("name",),
        }[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} commitment needs {', '.join(missing)}")
        return self


class PeriodIn(JsonBody):
    start_date: PlausibleDate
    end_date: PlausibleDate

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        return self


class ContractIn(PeriodIn):
    """A draft contract; ``offer_id`` (an accepted offer) may stand for ``account_id``."""

    account_id: uuid.UUID | None = None
    offer_id: uuid.UUID | None = None
    program_id: uuid.UUID
    tier: TierCode
    commitments: Annotated[list[CommitmentIn], Field(max_length=100)] | None = None
    terms: Annotated[str, StringConstraints(max_length=20_000)] | None = None

    @model_validator(mode="after")
    def _names_the_account(self) -> Self:
        if self.account_id is None and self.offer_id is None:
            raise ValueError("give account_id, or the offer_id of an accepted offer")
        return self


class ContractAmendIn(JsonBody):
    """A change to a draft: only the fields given change."""

    tier: TierCode | None = None
    start_date: PlausibleDate | None = None
    end_date: PlausibleDate | None = None
    commitments: Annotated[list[CommitmentIn], Field(max_length=100)] | None = None
    terms: Annotated[str, StringConstraints(max_length=20_000)] | None = None


class RenewalIn(JsonBody):
    """The next period's draft. Defaults: the day after the end, for as long again, same tier,
    the same commitments moved by as many years."""

    start_date: PlausibleDate | None = None
    end_date: PlausibleDate | None = None
    tier: TierCode | None = None
    commitments: Annotated[list[CommitmentIn], Field(max_length=100)] | None = None
    terms: Annotated[str, StringConstraints(max_length=20_000)] | None = None


class SignatureIn(JsonBody):
    party: Party
    signer_name: Text
    signer_role: Text
    method: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)
    ] = Field(examples=["e-signature"])
    document_sha256: Annotated[
        str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$"), Field(description="64 hex digits")
    ]
    signed_at: PlausibleTime | None = Field(default=None, description="Defaults to now")

    @field_validator("document_sha256")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class TerminationIn(JsonBody):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


# A party's signature, as contract events carry it too.
SignatureOut = SignatureRecord


class ContractOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    program_id: uuid.UUID
    program_name: str
    program_version: int
    tier: str
    rebate_pct: Decimal
    facilitation_budget: Money
    start_date: date
    end_date: date
    status: ContractStatus
    awaiting_signature_of: Party | None
    commitments: list[CommitmentIn]
    terms: str | None
    signatures: list[SignatureOut]
    offer_id: uuid.UUID | None
    renews_contract_id: uuid.UUID | None
    renewal_contract_id: uuid.UUID | None
    submitted_at: datetime | None
    activated_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    termination_reason: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class ContractPage(BaseModel):
    items: list[ContractOut]
    next_cursor: str | None = None
