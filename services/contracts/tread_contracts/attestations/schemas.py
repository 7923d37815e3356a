from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, Field, StringConstraints, model_validator

from tread_shared.dates import PlausibleTime
from tread_shared.http.inputs import JsonBody


class AttestationIn(JsonBody):
    """Evidence on a named requirement: a text, a link, or both; ``value`` (what was found)
    when the requirement has a minimum."""

    requirement: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ] = Field(examples=["Trained staff"])
    value: Annotated[Decimal, Field(ge=0, le=10**9, decimal_places=4)] | None = None
    evidence: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] | None = (
        None
    )
    # Shorter than the column: the URL is stored normalised (a slash may be added).
    evidence_url: Annotated[AnyHttpUrl, Field(max_length=1900)] | None = None
    attested_at: PlausibleTime | None = Field(None, description="When it was seen (default now)")

    @model_validator(mode="after")
    def _some_evidence(self) -> AttestationIn:
        if not self.evidence and self.evidence_url is None:
            raise ValueError("give the evidence: a text, a link, or both")
        return self


class AttestationOut(BaseModel):
    id: uuid.UUID
    contract_id: uuid.UUID
    account_id: uuid.UUID
    requirement: str
    minimum: Decimal | None = Field(description="What the requirement asks, if a number")
    value: Decimal | None
    met: bool
    evidence: str | None
    evidence_url: str | None
    attested_at: datetime
    attested_by: str


class AttestationList(BaseModel):
    items: list[AttestationOut]
