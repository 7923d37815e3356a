from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_inbox.preferences.models import MailSubscriber


async def subscriber(session: AsyncSession, user_id: str) -> MailSubscriber | None:
    found: MailSubscriber | None = await session.get(MailSubscriber, user_id)
    return found


async def subscribers(session: AsyncSession) -> Sequence[MailSubscriber]:
    return (await session.scalars(select(MailSubscriber).order_by(MailSubscriber.user_id))).all()
