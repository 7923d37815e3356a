from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.activities.models import Activity
from tread_accounts.snapshots import snapshot
from tread_shared.db.concurrency import flush_changes
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.accounts import ActivityEvent, ActivitySnapshot
from tread_shared.money import Money


def activity_cost(activity: Activity) -> Money | None:
    if activity.cost_amount is None or activity.cost_currency is None:
        return None
    return Money(amount=activity.cost_amount, currency=activity.cost_currency)


async def record_activity_event(
    session: AsyncSession,
    outbox: Outbox,
    payload_type: type[ActivityEvent],
    activity: Activity,
    **fields: Any,
) -> None:
    await flush_changes(session)
    activity_snapshot = snapshot(
        ActivitySnapshot,
        activity,
        activity_id=activity.id,
        cost=activity_cost(activity),
        participant_count=len(activity.participants),
    )
    await outbox.add(
        session, payload_type(activity=activity_snapshot, **fields), subject=str(activity.id)
    )
