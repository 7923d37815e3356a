"""Financials for the portfolio's users; webhooks for the credit and billing systems (bearer
token of the ``integration`` role *and* a valid ``Tread-Signature``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from tread_accounts.access import PortfolioCaller
from tread_accounts.accounts.service import account_of
from tread_accounts.integrations import repository, service, signature
from tread_accounts.integrations.schemas import (
    BillingWebhook,
    CreditWebhook,
    FinancialsOut,
    InvoiceOverdueWebhook,
    SellInOut,
    WebhookAck,
)
from tread_accounts.integrations.systems import Systems
from tread_accounts.settings import AccountsSettings
from tread_shared.app import EventOutbox
from tread_shared.auth.dependencies import require_roles
from tread_shared.auth.principal import Principal, Role
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.http.openapi import raw_body
from tread_shared.http.pagination import Page
from tread_shared.money import Money

router = APIRouter(prefix="/v1", tags=["integrations"])

IntegrationCaller = Annotated[Principal, Depends(require_roles(Role.INTEGRATION, Role.ADMIN))]
_credit_events: TypeAdapter[Any] = TypeAdapter(CreditWebhook)
_billing_events: TypeAdapter[Any] = TypeAdapter(BillingWebhook)


@router.get(
    "/accounts/{account_id}/financials",
    responses={409: {"description": "The account has no erp_customer_id: nothing to ask"}},
)
async def get_financials(
    account_id: uuid.UUID, session: DbSession, caller: PortfolioCaller, systems: Systems
) -> FinancialsOut:
    """Credit limit, exposure, overdue amount, block and open invoices, from the credit and
    billing systems; when one is down, its last known values with ``stale: true`` and their
    age."""
    account = await account_of(session, caller, account_id)
    return await service.financials(session, systems, account)


@router.get("/accounts/{account_id}/sell-in")
async def list_sell_in(
    account_id: uuid.UUID,
    session: ReadSession,
    caller: PortfolioCaller,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Page[SellInOut]:
    """Monthly sell-in volumes per product line, as the billing system reported them."""
    account = await account_of(session, caller, account_id)
    rows = await repository.sell_in(session, account.id, year)
    return Page(
        items=[
            SellInOut(
                month=row.month,
                product_line=row.product_line,
                units=row.units,
                amount=Money(amount=row.amount, currency=row.currency)
                if row.amount is not None and row.currency
                else None,
                recorded_at=row.recorded_at,
            )
            for row in rows
        ]
    )


async def _signed_event(
    request: Request, adapter: TypeAdapter[Any], secret: str | None, tolerance: int
) -> Any:
    body = await request.body()
    signature.verify(
        request.headers.get(signature.HEADER), body, secret, tolerance_seconds=tolerance
    )
    try:
        return adapter.validate_json(body)
    except ValidationError as exc:
        # The same problem document as any request body that does not fit.
        raise RequestValidationError(exc.errors()) from exc


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


@router.post("/integrations/credit/events", openapi_extra=raw_body(_credit_events))
async def receive_credit_event(
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    settings: AccountsSettings,
    _caller: IntegrationCaller,
) -> WebhookAck:
    """``credit.status_changed`` (limit, exposure, overdue amount, blocked). A block opens a
    credit case. Signed with ``Tread-Signature``; a repeated event id is acknowledged once."""
    event = await _signed_event(
        request,
        _credit_events,
        _secret(settings.credit_webhook_secret),
        settings.webhook_tolerance_seconds,
    )
    return await service.credit_status_changed(session, outbox, settings, event)


@router.post("/integrations/billing/events", openapi_extra=raw_body(_billing_events))
async def receive_billing_event(
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    settings: AccountsSettings,
    _caller: IntegrationCaller,
) -> WebhookAck:
    """``invoice.overdue`` (opens a billing case) and ``sell_in.monthly`` (volumes per product
    line). Signed with ``Tread-Signature``; a repeated event id is acknowledged once."""
    event = await _signed_event(
        request,
        _billing_events,
        _secret(settings.billing_webhook_secret),
        settings.webhook_tolerance_seconds,
    )
    if isinstance(event, InvoiceOverdueWebhook):
        return await service.invoice_overdue(session, outbox, settings, event)
    return await service.sell_in_recorded(session, outbox, event)
