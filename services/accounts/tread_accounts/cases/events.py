from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.cases.models import Case
from tread_accounts.snapshots import snapshot
from tread_shared.db.concurrency import flush_changes
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.accounts import CaseEvent, CaseSnapshot


def case_snapshot(case: Case) -> CaseSnapshot:
    return snapshot(CaseSnapshot, case, case_id=case.id)


async def record_case_event(
    session: AsyncSession,
    outbox: Outbox,
    payload_type: type[CaseEvent],
    case: Case,
    **fields: Any,
) -> None:
    await flush_changes(session)
    await outbox.add(
        session, payload_type(case=case_snapshot(case), **fields), subject=str(case.id)
    )
