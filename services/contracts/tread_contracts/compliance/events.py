"""Sell-in kept from the accounts service's events: each month's volumes per product line,
a later report of the same month and line replacing the earlier one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.compliance import repository
from tread_contracts.compliance.models import SellInVolume
from tread_contracts.compliance.policy import CompliancePolicy
from tread_contracts.compliance.service import refresh_account
from tread_shared.clock import utcnow
from tread_shared.events.consumer import Handler
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.accounts import SellInRecorded


def sell_in_handlers(outbox: Outbox, policy: CompliancePolicy) -> dict[str, Handler]:
    async def on_sell_in_recorded(session: AsyncSession, event: CloudEvent, _seq: int) -> None:
        sell_in = SellInRecorded.model_validate(event.data)
        now = utcnow()
        for line in sell_in.lines:
            row = await repository.sell_in(
                session, sell_in.account_id, sell_in.month, line.product_line
            )
            if row is None:
                row = SellInVolume(
                    account_id=sell_in.account_id,
                    period=sell_in.month,
                    product_line=line.product_line,
                )
                session.add(row)
            row.quantity = line.units
            row.amount = line.amount.amount if line.amount else None
            row.currency = line.amount.currency if line.amount else None
            row.erp_customer_id = sell_in.erp_customer_id
            row.recorded_at = now
        # The contracts of the account now compare against new actuals.
        await refresh_account(session, outbox, sell_in.account_id, now.date(), policy)

    return {SellInRecorded.event_type(): on_sell_in_recorded}
