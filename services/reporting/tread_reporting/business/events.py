"""Sell-in and credit events → the customer's business figures."""

from __future__ import annotations

from tread_reporting.business.models import CreditRecord, SellInRecord
from tread_reporting.projection.registry import Landing, Projection
from tread_reporting.projection.writes import Writes
from tread_reporting.timeline.events import change_key, record_milestone
from tread_shared.events.payloads.accounts import CreditStatusChanged, SellInRecorded

projection = Projection()


@projection.on(SellInRecorded)
def sell_in(payload: SellInRecorded, at: Landing, writes: Writes) -> None:
    for line in payload.lines:
        writes.upsert_newer(
            SellInRecord,
            {
                "account_id": payload.account_id,
                "month": payload.month,
                "product_line": line.product_line,
                "stream_seq": at.stream_seq,
                "units": line.units,
                "amount": line.amount.amount if line.amount else None,
                "currency": line.amount.currency if line.amount else None,
            },
            version="stream_seq",
        )


@projection.on(CreditStatusChanged)
def credit_status(payload: CreditStatusChanged, at: Landing, writes: Writes) -> None:
    # The history, so that a period's report gives the credit block as of the period's end.
    record_milestone(
        writes,
        "credit",
        payload.account_id,
        change_key(at),
        payload.as_of,
        payload.account_id,
        detail="blocked" if payload.blocked else "unblocked",
    )
    writes.upsert_newer(
        CreditRecord,
        {
            "account_id": payload.account_id,
            "stream_seq": at.stream_seq,
            "blocked": payload.blocked,
            "credit_limit": payload.credit_limit.amount,
            "exposure": payload.exposure.amount,
            "overdue_amount": payload.overdue_amount.amount if payload.overdue_amount else None,
            "currency": payload.credit_limit.currency,
            "as_of": payload.as_of,
        },
        version="stream_seq",
    )
