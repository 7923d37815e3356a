from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.deviations.models import CorrectiveAction
from tread_actionplans.meetings.models import Meeting
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.repository import within_plan_scope
from tread_shared.auth.principal import Principal


def visible(principal: Principal, plan_id: uuid.UUID | None = None) -> Select[Meeting]:
    query = within_plan_scope(select(Meeting).join(Plan, Plan.id == Meeting.plan_id), principal)
    if plan_id is not None:
        query = query.where(Meeting.plan_id == plan_id)
    return query


async def actions_decided(
    session: AsyncSession, meeting_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    found: dict[uuid.UUID, list[uuid.UUID]] = {m: [] for m in meeting_ids}
    if not meeting_ids:
        return found
    query = (
        select(CorrectiveAction.meeting_id, CorrectiveAction.id)
        .where(CorrectiveAction.meeting_id.in_(meeting_ids))
        .order_by(CorrectiveAction.id)
    )
    for meeting_id, action_id in (await session.execute(query)).all():
        if meeting_id is not None:
            found[meeting_id].append(action_id)
    return found
