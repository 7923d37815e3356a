"""Financials and webhooks.

Financials are pulled from both systems at once; each answer is kept, and when a system fails
the last kept values are answered with ``stale: true`` and their age. Webhooks update the same
kept values (a credit status), record sell-in, emit events, and open a case when the credit
is blocked or an invoice is overdue — once per block and once per invoice while the case is
unresolved. A repeated event id is acknowledged without being applied again; an event older
than the values kept is acknowledged as ``outdated``."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.accounts import repository as accounts
from tread_accounts.accounts.models import Account
from tread_accounts.cases import repository as cases
from tread_accounts.cases.service import open_case
from tread_accounts.integrations import repository
from tread_accounts.integrations.models import WebhookReceipt
from tread_accounts.integrations.schemas import (
    CreditOut,
    CreditPosition,
    CreditStatusChangedWebhook,
    FinancialsOut,
    InvoiceOverdueWebhook,
    OpenInvoice,
    OpenInvoiceOut,
    OpenInvoicesOut,
    SellInWebhook,
    WebhookAck,
)
from tread_accounts.integrations.systems import ExternalSystems, SystemUnavailable
from tread_accounts.settings import Settings
from tread_shared.clock import utcnow
from tread_shared.errors import Conflict, Unprocessable
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.accounts import (
    CreditStatusChanged,
    InvoiceOverdue,
    SellInLine,
    SellInRecorded,
)
from tread_shared.ids import new_id
from tread_shared.money import Money

Webhook = CreditStatusChangedWebhook | InvoiceOverdueWebhook | SellInWebhook

# --- financials -----------------------------------------------------------------------------


def _age(as_of: datetime | None, now: datetime) -> int | None:
    return None if as_of is None else max(0, int((now - as_of).total_seconds()))


def _invoice_out(invoice: OpenInvoice, today: date) -> OpenInvoiceOut:
    return OpenInvoiceOut(**invoice.model_dump(), overdue=invoice.due_on < today)


def _totals(invoices: list[OpenInvoice]) -> list[Money]:
    totals: dict[str, Decimal] = {}
    for invoice in invoices:
        currency = invoice.open_amount.currency
        totals[currency] = totals.get(currency, Decimal(0)) + invoice.open_amount.amount
    return [Money(amount=totals[c], currency=c) for c in sorted(totals)]


async def financials(
    session: AsyncSession, systems: ExternalSystems, account: Account
) -> FinancialsOut:
    erp_customer_id = account.erp_customer_id
    if erp_customer_id is None:
        raise Conflict(
            "The account has no erp_customer_id: the billing and credit systems do not know it.",
            slug="no-erp-customer-id",
        )
    credit, invoices = await asyncio.gather(
        systems.credit_position(erp_customer_id),
        systems.open_invoices(erp_customer_id),
        return_exceptions=True,
    )
    now = utcnow()
    if isinstance(credit, CreditPosition):
        await repository.keep_credit(session, account.id, credit.model_dump(mode="json"), now)
    if isinstance(invoices, list):
        kept = [invoice.model_dump(mode="json") for invoice in invoices]
        await repository.keep_open_invoices(session, account.id, kept, now)
    for answer in (credit, invoices):
        if isinstance(answer, BaseException) and not isinstance(answer, SystemUnavailable):
            raise answer
    stored = await repository.financials(session, account.id)
    credit_out = CreditOut(
        **(stored.credit if stored and stored.credit else {}),
        as_of=stored.credit_as_of if stored else None,
        stale=not isinstance(credit, CreditPosition),
        age_seconds=_age(stored.credit_as_of if stored else None, now),
        error=f"credit system: {credit}" if isinstance(credit, BaseException) else None,
    )
    known = [OpenInvoice.model_validate(i) for i in (stored.open_invoices or [])] if stored else []
    invoices_out = OpenInvoicesOut(
        items=[_invoice_out(i, now.date()) for i in known],
        total_open=_totals(known),
        as_of=stored.open_invoices_as_of if stored else None,
        stale=not isinstance(invoices, list),
        age_seconds=_age(stored.open_invoices_as_of if stored else None, now),
        error=f"billing system: {invoices}" if isinstance(invoices, BaseException) else None,
    )
    return FinancialsOut(
        account_id=account.id,
        erp_customer_id=erp_customer_id,
        credit=credit_out,
        open_invoices=invoices_out,
        stale=credit_out.stale or invoices_out.stale,
    )


# --- webhooks -------------------------------------------------------------------------------


async def _account_for(session: AsyncSession, erp_customer_id: str) -> Account:
    account = await accounts.live_by_erp_customer_id(session, erp_customer_id)
    if account is None:
        # Refused, not acknowledged: the system retries, and the event applies once the
        # account exists here.
        raise Unprocessable(
            f"No account has the billing number {erp_customer_id}.", slug="unknown-customer"
        )
    return account


async def _first_time(session: AsyncSession, system: str, event_id: str, kind: str) -> bool:
    """Record the event id; ``False`` when it was recorded already (by us or concurrently)."""
    if await repository.receipt(session, system, event_id) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(
                WebhookReceipt(
                    system=system,
                    event_id=event_id,
                    type=kind,
                    outcome="applied",
                    received_at=utcnow(),
                )
            )
    except IntegrityError:
        return False
    return True


async def _account_of_new_event(
    session: AsyncSession, system: str, event: Webhook
) -> Account | None:
    """The account a webhook event is about; ``None`` when this event id was applied before."""
    if not await _first_time(session, system, event.id, event.type):
        return None
    return await _account_for(session, event.data.erp_customer_id)


def _acknowledged(
    event: Webhook,
    status: Literal["applied", "duplicate", "outdated"] = "duplicate",
    case_id: uuid.UUID | None = None,
) -> WebhookAck:
    return WebhookAck(event_id=event.id, status=status, case_id=case_id)


async def _open_case_once(
    session: AsyncSession,
    outbox: Outbox,
    settings: Settings,
    account: Account,
    reference: str,
    **details: Any,
) -> uuid.UUID | None:
    if await cases.unresolved_about(session, account.id, reference) is not None:
        return None
    case = await open_case(
        session, outbox, settings, account, external_reference=reference, **details
    )
    return case.id


async def credit_status_changed(
    session: AsyncSession, outbox: Outbox, settings: Settings, event: CreditStatusChangedWebhook
) -> WebhookAck:
    account = await _account_of_new_event(session, "credit", event)
    if account is None:
        return _acknowledged(event)
    data = event.data
    kept = await repository.financials(session, account.id)
    if kept and kept.credit_as_of and kept.credit_as_of > event.occurred_at:
        return _acknowledged(event, "outdated")
    previous_blocked = bool(kept.credit["blocked"]) if kept and kept.credit else None
    position = CreditPosition(
        credit_limit=data.credit_limit,
        exposure=data.exposure,
        overdue_amount=data.overdue_amount
        or Money(amount=Decimal(0), currency=data.credit_limit.currency),
        blocked=data.blocked,
    )
    await repository.keep_credit(
        session, account.id, position.model_dump(mode="json"), event.occurred_at
    )
    await outbox.add(
        session,
        CreditStatusChanged(
            account_id=account.id,
            erp_customer_id=data.erp_customer_id,
            credit_limit=position.credit_limit,
            exposure=position.exposure,
            overdue_amount=position.overdue_amount,
            blocked=data.blocked,
            previous_blocked=previous_blocked,
            as_of=event.occurred_at,
            source_event_id=event.id,
        ),
        subject=str(account.id),
    )
    case_id = None
    if data.blocked and previous_blocked is not True:
        case_id = await _open_case_once(
            session,
            outbox,
            settings,
            account,
            "credit-block",
            category="credit",
            priority="high",
            title="Credit blocked",
            description=f"The credit system blocked the account ({data.reason or 'no reason'}): "
            f"exposure {data.exposure} against a limit of {data.credit_limit}.",
            opened_by="credit-system",
            source="credit_system",
        )
    return _acknowledged(event, "applied", case_id)


async def invoice_overdue(
    session: AsyncSession, outbox: Outbox, settings: Settings, event: InvoiceOverdueWebhook
) -> WebhookAck:
    account = await _account_of_new_event(session, "billing", event)
    if account is None:
        return _acknowledged(event)
    data = event.data
    await outbox.add(
        session,
        InvoiceOverdue(
            account_id=account.id,
            erp_customer_id=data.erp_customer_id,
            invoice_number=data.invoice_number,
            amount=data.amount,
            open_amount=data.open_amount,
            due_on=data.due_on,
            days_overdue=data.days_overdue,
            source_event_id=event.id,
        ),
        subject=str(account.id),
    )
    case_id = await _open_case_once(
        session,
        outbox,
        settings,
        account,
        f"invoice:{data.invoice_number}",
        category="billing",
        priority="high" if data.days_overdue > 30 else "normal",
        title=f"Invoice {data.invoice_number} overdue",
        description=f"Invoice {data.invoice_number} ({data.open_amount} open of {data.amount}) "
        f"was due on {data.due_on}: {data.days_overdue} days overdue.",
        opened_by="billing-system",
        source="billing_system",
    )
    return _acknowledged(event, "applied", case_id)


async def sell_in_recorded(
    session: AsyncSession, outbox: Outbox, event: SellInWebhook
) -> WebhookAck:
    account = await _account_of_new_event(session, "billing", event)
    if account is None:
        return _acknowledged(event)
    data = event.data
    now = utcnow()
    await repository.keep_sell_in(
        session,
        [
            {
                "id": new_id(),
                "account_id": account.id,
                "month": data.month,
                "product_line": line.product_line,
                "units": line.units,
                "amount": line.amount.amount if line.amount else None,
                "currency": line.amount.currency if line.amount else None,
                "source_event_id": event.id,
                "recorded_at": now,
            }
            for line in data.lines
        ],
    )
    await outbox.add(
        session,
        SellInRecorded(
            account_id=account.id,
            erp_customer_id=data.erp_customer_id,
            month=data.month,
            lines=[
                SellInLine(product_line=line.product_line, units=line.units, amount=line.amount)
                for line in data.lines
            ],
            source_event_id=event.id,
        ),
        subject=str(account.id),
    )
    return _acknowledged(event, "applied")
