"""A contract's compliance turning at risk or missed opens a deviation on the account's plans
that follow that contract (or, when none names it, on every plan being followed for the
account); back on track closes it. Without any plan to hang it on, a draft ``corrective`` plan
is written for the account's manager, with the deviation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.deviations.service import follow_compliance
from tread_actionplans.directory.models import AccountDirectory
from tread_actionplans.plans.events import plan_state
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.workflow import FOLLOWED
from tread_shared.events.consumer import Handler
from tread_shared.events.emit import emit
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.actionplans import PlanCreated
from tread_shared.events.payloads.contracts import ComplianceChanged

SYSTEM = "actionplans"
AT_RISK = ("at_risk", "missed")


async def _plans_for(session: AsyncSession, change: ComplianceChanged) -> list[Plan]:
    query = select(Plan).where(
        Plan.account_id == change.account_id,
        Plan.deleted_at.is_(None),
        Plan.status != "closed",
    )
    plans = list((await session.scalars(query.order_by(Plan.id))).all())
    linked = [p for p in plans if p.contract_id == change.contract_id]
    if linked:
        return linked
    return [p for p in plans if p.status in FOLLOWED]


async def _corrective_plan(
    session: AsyncSession, outbox: Outbox, change: ComplianceChanged
) -> Plan:
    entry = await session.get(AccountDirectory, change.account_id)
    plan = Plan(
        title=f"Corrective plan: contract {change.overall.replace('_', ' ')}",
        kind="corrective",
        scope="account",
        account_id=change.account_id,
        territory=entry.territory if entry is not None else None,
        owner_id=entry.owner_id if entry is not None else None,
        stakeholders=[],
        budget_lines=[],
        start_date=change.as_of,
        end_date=change.as_of.replace(year=change.as_of.year + 1),
        contract_id=change.contract_id,
        origin="compliance",
        status="draft",
        created_by=SYSTEM,
    )
    session.add(plan)
    await emit(
        session,
        outbox,
        plan,
        lambda: PlanCreated(plan=plan_state(plan), origin="compliance", created_by=SYSTEM),
    )
    return plan


def compliance_handler(outbox: Outbox) -> Handler:
    async def apply(session: AsyncSession, event: CloudEvent, _stream_seq: int) -> None:
        change = ComplianceChanged.model_validate(event.data)
        plans = await _plans_for(session, change)
        if not plans and change.overall in AT_RISK:
            plans = [await _corrective_plan(session, outbox, change)]
        for plan in plans:
            await follow_compliance(session, outbox, plan, change.contract_id, change.overall)

    return apply
