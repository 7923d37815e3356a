from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.integrations.models import AccountFinancials, SellInVolume, WebhookReceipt
from tread_shared.db.upsert import insert_on_conflict


def _upsert(session: AsyncSession, model: Any) -> Any:
    return insert_on_conflict(session.get_bind().dialect.name, model)


async def financials(session: AsyncSession, account_id: uuid.UUID) -> AccountFinancials | None:
    """The values kept for the account, read afresh (an upsert may have changed them)."""
    return await session.get(AccountFinancials, account_id, populate_existing=True)


async def keep_credit(
    session: AsyncSession, account_id: uuid.UUID, credit: dict[str, Any], as_of: datetime
) -> None:
    """Remember a credit position unless a newer one is already kept (answers and webhooks
    may arrive out of order)."""
    await _keep(session, account_id, credit=credit, credit_as_of=as_of)


async def keep_open_invoices(
    session: AsyncSession, account_id: uuid.UUID, invoices: list[dict[str, Any]], as_of: datetime
) -> None:
    await _keep(session, account_id, open_invoices=invoices, open_invoices_as_of=as_of)


async def _keep(session: AsyncSession, account_id: uuid.UUID, **values: Any) -> None:
    as_of_column = next(name for name in values if name.endswith("_as_of"))
    statement = _upsert(session, AccountFinancials).values(account_id=account_id, **values)
    current = getattr(AccountFinancials, as_of_column)
    statement = statement.on_conflict_do_update(
        index_elements=[AccountFinancials.account_id],
        set_=values,
        where=current.is_(None) | (current < values[as_of_column]),
    )
    await session.execute(statement)


async def receipt(session: AsyncSession, system: str, event_id: str) -> WebhookReceipt | None:
    return await session.get(WebhookReceipt, (system, event_id))


async def keep_sell_in(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or replace the month's volumes of each product line."""
    statement = _upsert(session, SellInVolume).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=[SellInVolume.account_id, SellInVolume.month, SellInVolume.product_line],
        set_={
            name: statement.excluded[name]
            for name in ("units", "amount", "currency", "source_event_id", "recorded_at")
        },
    )
    await session.execute(statement)


async def sell_in(
    session: AsyncSession, account_id: uuid.UUID, year: int | None
) -> Sequence[SellInVolume]:
    query = select(SellInVolume).where(SellInVolume.account_id == account_id)
    if year is not None:
        query = query.where(SellInVolume.month.like(f"{year}-%"))
    query = query.order_by(SellInVolume.month, SellInVolume.product_line)
    return (await session.scalars(query)).all()
