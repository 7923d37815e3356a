from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.compliance.models import SellInVolume
from tread_contracts.contracts.models import Contract
from tread_contracts.rebates.models import EarnedRebate

# A contract that ran its period: still active on the day after its end, expired, or renewed.
# A terminated contract did not run its period and earns nothing.
RAN_ITS_PERIOD = ("active", "expired", "renewed")


async def of_contract(session: AsyncSession, contract_id: uuid.UUID) -> EarnedRebate | None:
    return await session.get(EarnedRebate, contract_id)


async def unsettled_ended_ids(session: AsyncSession, today: date) -> Sequence[uuid.UUID]:
    """Contracts whose period ended before ``today`` without a rebate settled yet."""
    settled = exists().where(EarnedRebate.contract_id == Contract.id)
    query = select(Contract.id).where(
        Contract.status.in_(RAN_ITS_PERIOD), Contract.end_date < today, ~settled
    )
    return (await session.scalars(query.order_by(Contract.end_date, Contract.id))).all()


async def sell_in_value(
    session: AsyncSession, account_id: uuid.UUID, months: Sequence[str]
) -> dict[str, Decimal]:
    """The invoiced value of the account's sell-in in ``months``, per currency (lines billing
    reported without a value are left out)."""
    query = (
        select(SellInVolume.currency, func.sum(SellInVolume.amount))
        .where(
            SellInVolume.account_id == account_id,
            SellInVolume.period.in_(months),
            SellInVolume.amount.is_not(None),
        )
        .group_by(SellInVolume.currency)
    )
    rows = (await session.execute(query)).all()
    return {currency: Decimal(total) for currency, total in rows if currency and total is not None}
