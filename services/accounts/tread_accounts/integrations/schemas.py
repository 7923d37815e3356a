from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from tread_shared.dates import PlausibleDate, PlausibleDateTime
from tread_shared.money import Money, SignedMoney
from tread_shared.quantities import Count

ErpCustomerId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
EventId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class External(BaseModel):
    """What an outside system sends: extra fields are theirs to add, we ignore them."""

    model_config = ConfigDict(extra="ignore")


# --- what the credit and billing systems answer ---------------------------------------------


class CreditPosition(External):
    credit_limit: Money
    exposure: SignedMoney
    overdue_amount: Money
    blocked: bool


class OpenInvoice(External):
    number: str
    issued_on: date | None = None
    due_on: date
    amount: Money
    open_amount: Money


class OpenInvoices(External):
    items: list[OpenInvoice]


# --- what the financials endpoint answers ---------------------------------------------------


class Freshness(BaseModel):
    as_of: datetime | None = Field(description="When these values were obtained")
    stale: bool = Field(description="The system did not answer: these are the last known")
    age_seconds: int | None
    error: str | None = Field(None, description="Why the system's answer is missing")


class CreditOut(Freshness):
    credit_limit: Money | None = None
    exposure: SignedMoney | None = None
    overdue_amount: Money | None = None
    blocked: bool | None = None


class OpenInvoiceOut(OpenInvoice):
    overdue: bool


class OpenInvoicesOut(Freshness):
    items: list[OpenInvoiceOut] = Field(default_factory=list)
    total_open: list[Money] = Field(default_factory=list, description="One total per currency")


class FinancialsOut(BaseModel):
    account_id: uuid.UUID
    erp_customer_id: str
    credit: CreditOut
    open_invoices: OpenInvoicesOut
    stale: bool


# --- webhooks -------------------------------------------------------------------------------


class CreditStatusData(External):
    erp_customer_id: ErpCustomerId
    credit_limit: Money
    exposure: SignedMoney
    overdue_amount: Money | None = None
    blocked: bool
    reason: Annotated[str, StringConstraints(max_length=1000)] | None = None


class CreditStatusChangedWebhook(External):
    id: EventId
    type: Literal["credit.status_changed"]
    occurred_at: PlausibleDateTime
    data: CreditStatusData


CreditWebhook = CreditStatusChangedWebhook


class InvoiceOverdueData(External):
    erp_customer_id: ErpCustomerId
    invoice_number: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    amount: Money
    open_amount: Money
    due_on: PlausibleDate
    days_overdue: Count


class InvoiceOverdueWebhook(External):
    id: EventId
    type: Literal["invoice.overdue"]
    occurred_at: PlausibleDateTime
    data: InvoiceOverdueData


class SellInLineData(External):
    product_line: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    units: Count
    amount: Money | None = None


class SellInData(External):
    erp_customer_id: ErpCustomerId
    month: Month
    lines: Annotated[list[SellInLineData], Field(min_length=1, max_length=200)]

    @model_validator(mode="after")
    def _one_line_per_product_line(self) -> SellInData:
        names = [line.product_line for line in self.lines]
        if len(names) != len(set(names)):
            raise ValueError("each product line appears once")
        return self


class SellInWebhook(External):
    id: EventId
    type: Literal["sell_in.monthly"]
    occurred_at: PlausibleDateTime
    data: SellInData


BillingWebhook = Annotated[InvoiceOverdueWebhook | SellInWebhook, Field(discriminator="type")]


class WebhookAck(BaseModel):
    event_id: str
    status: Literal["applied", "duplicate", "outdated"]
    case_id: uuid.UUID | None = Field(None, description="The case this event opened")


class SellInOut(BaseModel):
    month: str
    product_line: str
    units: int
    amount: Money | None
    recorded_at: datetime
