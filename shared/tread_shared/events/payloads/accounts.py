"""Events of the accounts service.

Every account event (``AccountEvent``) carries the account's directory entry (owner, territory,
group, status…) at the event's ``version``, so that other services keep their local directory
with an upsert that ignores anything older than what they hold. The other events carry a
snapshot of their entity (contact, activity, case) at its version, or what the billing and
credit systems reported."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from tread_shared.events.registry import EventPayload
from tread_shared.money import Money, SignedMoney


class AccountDirectoryEntry(BaseModel):
    """What other services need to know of an account: who owns it and where it is."""

    account_id: uuid.UUID
    version: int
    name: str
    kind: str
    status: str
    territory: str
    owner_id: str
    key_account_manager_id: str | None = None
    parent_id: uuid.UUID | None = None
    segment: str | None = None
    erp_customer_id: str | None = None
    quadrant: str | None = None
    updated_at: datetime


class AccountEvent(EventPayload):
    """Base of the events that change an account's directory entry."""

    service = "accounts"
    entity = "account"
    account: AccountDirectoryEntry


class AccountCreated(AccountEvent):
    """A dealer or end-user account entered a portfolio."""

    verb = "created"


class AccountUpdated(AccountEvent):
    """An account's details changed (name, status, territory, segment, group…)."""

    verb = "updated"
    changed_fields: list[str]


class AccountReassigned(AccountEvent):
    """The account moved to another account manager's portfolio."""

    verb = "reassigned"
    previous_owner_id: str
    reason: str
    reassigned_by: str


class AccountClosed(AccountEvent):
    """The account's status became ``closed``."""

    verb = "closed"


class AccountDeleted(AccountEvent):
    """The account was deleted (soft: offline clients receive a tombstone)."""

    verb = "deleted"


class QualificationSnapshot(BaseModel):
    """What an account is expected to bring in a year, and what it is planned to take."""

    quadrant: str
    annual_volume_units: int
    margin_potential: Money
    visits_per_year: int
    hours_per_year: int
    budget: Money


class AccountQualified(AccountEvent):
    """The account was qualified: expected result against planned investment gave its
    quadrant (``develop``, ``maintain``, ``optimise``, ``reduce``)."""

    verb = "qualified"
    qualification: QualificationSnapshot
    previous_quadrant: str | None = None
    qualified_by: str


# --- contacts -------------------------------------------------------------------------------


class ContactSnapshot(BaseModel):
    """A contact as other services may know it: no phone number or e-mail address."""

    contact_id: uuid.UUID
    account_id: uuid.UUID
    version: int
    full_name: str
    roles: list[str]
    consents: dict[str, bool]
    deleted: bool = False
    updated_at: datetime


class ContactChanged(EventPayload):
    """A contact of an account was added, changed or removed (``change``)."""

    service = "accounts"
    entity = "contact"
    verb = "changed"
    change: Literal["created", "updated", "deleted"]
    contact: ContactSnapshot
    changed_fields: list[str] = Field(default_factory=list)
    changed_by: str


# --- activities -----------------------------------------------------------------------------


class ActivitySnapshot(BaseModel):
    """A visit, call, training, meeting or e-mail with an account, and what it cost."""

    activity_id: uuid.UUID
    account_id: uuid.UUID
    version: int
    type: str
    started_at: datetime
    duration_minutes: int
    cost: Money | None = None
    performed_by: str
    participant_count: int
    updated_at: datetime
    # planned (to come), done, or missed (planned, did not happen): only done is investment.
    status: Literal["planned", "done", "missed"] = "done"


class ActivityEvent(EventPayload):
    service = "accounts"
    entity = "activity"
    activity: ActivitySnapshot


class ActivityLogged(ActivityEvent):
    """An activity with an account was logged."""

    verb = "logged"


class ActivityUpdated(ActivityEvent):
    """A logged activity was corrected."""

    verb = "updated"
    changed_fields: list[str]


class ActivityDeleted(ActivityEvent):
    """A logged activity was removed; it no longer counts in the investment."""

    verb = "deleted"


# --- transverse cases -----------------------------------------------------------------------


class CaseSnapshot(BaseModel):
    """A transverse case (credit, billing, supply, quality…) raised for an account."""

    case_id: uuid.UUID
    account_id: uuid.UUID
    version: int
    category: str
    priority: str
    status: str
    assignee_id: str | None = None
    opened_by: str
    source: str
    opened_at: datetime
    due_at: datetime
    escalated_at: datetime | None = None
    updated_at: datetime


class CaseEvent(EventPayload):
    service = "accounts"
    entity = "case"
    case: CaseSnapshot


class CaseOpened(CaseEvent):
    """A case was opened, by a user or by the credit or billing system (``case.source``)."""

    verb = "opened"


class CaseUpdated(CaseEvent):
    """A case's title, description, category or priority changed (and with them, maybe, its
    due date)."""

    verb = "updated"
    changed_fields: list[str]
    changed_by: str


class CaseStatusChanged(CaseEvent):
    """A case moved along its workflow (open → in_progress → waiting_customer → resolved →
    closed)."""

    verb = "status_changed"
    previous_status: str
    changed_by: str


class CaseAssigned(CaseEvent):
    """A case was given to a member of the central staff, or to another."""

    verb = "assigned"
    previous_assignee_id: str | None = None
    assigned_by: str


class CaseEscalated(CaseEvent):
    """A case passed its SLA due date without being resolved."""

    verb = "escalated"


class CaseCommented(CaseEvent):
    """Someone commented on a case."""

    verb = "commented"
    comment_id: uuid.UUID
    author_id: str


# --- billing and credit ---------------------------------------------------------------------


class CreditStatusChanged(EventPayload):
    """The credit system changed an account's credit limit, exposure or block."""

    service = "accounts"
    entity = "credit_status"
    verb = "changed"
    account_id: uuid.UUID
    erp_customer_id: str
    credit_limit: Money
    exposure: SignedMoney
    overdue_amount: Money | None = None
    blocked: bool
    previous_blocked: bool | None = None
    as_of: datetime
    source_event_id: str


class InvoiceOverdue(EventPayload):
    """The billing system reported an invoice of the account as overdue."""

    service = "accounts"
    entity = "invoice"
    verb = "overdue"
    account_id: uuid.UUID
    erp_customer_id: str
    invoice_number: str
    amount: Money
    open_amount: Money
    due_on: date
    days_overdue: int
    source_event_id: str


class SellInLine(BaseModel):
    product_line: str
    units: int
    amount: Money | None = None


class SellInRecorded(EventPayload):
    """Monthly sell-in volumes of a dealer, per product line, from the billing system. A later
    event for the same account and month replaces the earlier lines of the same product line."""

    service = "accounts"
    entity = "sell_in"
    verb = "recorded"
    account_id: uuid.UUID
    erp_customer_id: str
    month: str
    lines: list[SellInLine]
    source_event_id: str
