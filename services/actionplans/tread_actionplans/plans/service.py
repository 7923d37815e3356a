"""Plans: who sees them (from the account directory and the plan's territory), drafting, and
the approval workflow (see ``workflow``). A step out of order is 409 and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.deviations.service import follow_plan
from tread_actionplans.directory.models import AccountDirectory
from tread_actionplans.indicators import repository as indicators
from tread_actionplans.lifecycle import next_status
from tread_actionplans.plans import repository
from tread_actionplans.plans.events import plan_state
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.schemas import PlanAmendIn, PlanIn
from tread_actionplans.plans.workflow import MOVES, OPEN
from tread_shared.auth.principal import Principal, Role
from tread_shared.clock import utcnow
from tread_shared.directory.handlers import sees_entry, visible_account
from tread_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from tread_shared.events.emit import emit
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.actionplans import (
    PlanActivated,
    PlanApproved,
    PlanClosed,
    PlanCreated,
    PlanRejected,
    PlanSubmitted,
)


def may_see(principal: Principal, plan: Plan | Any, entry: AccountDirectory | Any) -> bool:
    """Whether ``principal`` sees ``plan`` (an entity or a row), ``entry`` being its account's
    directory entry (an entity or a row's part; ``None`` when there is none)."""
    if plan.account_id is not None:
        return sees_entry(principal, entry)
    if principal.reads_everything:
        return True
    if principal.has_role(Role.DISTRICT_MANAGER) and plan.territory in principal.territories:
        return True
    return principal.has_role(Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER) and (
        plan.owner_id == principal.sub
    )


async def plan_in_scope(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> Plan:
    """The plan if ``principal`` sees it; 404 otherwise, the same whether it does not exist or
    is out of scope."""
    plan = await session.get(Plan, plan_id)
    if plan is None or plan.deleted_at is not None:
        raise NotFound(f"No plan {plan_id}.")
    entry = await session.get(AccountDirectory, plan.account_id) if plan.account_id else None
    if not may_see(principal, plan, entry):
        raise NotFound(f"No plan {plan_id}.")
    return plan


class OfAPlan(Protocol):
    plan_id: Any
    deleted_at: Any


R = TypeVar("R", bound=OfAPlan)


async def part_in_scope(
    session: AsyncSession, principal: Principal, model: type[R], entity_id: uuid.UUID, what: str
) -> tuple[R, Plan]:
    """A part of a plan (indicator, deviation…) and its plan, if ``principal`` sees the plan;
    404 otherwise."""
    row = await session.get(model, entity_id)
    missing = f"No {what} {entity_id}."
    if row is None or row.deleted_at is not None:
        raise NotFound(missing)
    try:
        plan = await plan_in_scope(session, principal, row.plan_id)
    except NotFound:
        raise NotFound(missing) from None
    return row, plan


def require_open(plan: Plan, change: str) -> None:
    """Parts of a closed plan no longer change."""
    if plan.status not in OPEN:
        raise Conflict(
            f"Plan {plan.id} is {plan.status}: {change} is no longer possible.",
            slug="plan-closed",
            status_now=plan.status,
        )


def require_draft(plan: Plan, change: str) -> None:
    if plan.status != "draft":
        raise Conflict(
            f"Plan {plan.id} is {plan.status}: {change} only while it is a draft.",
            slug="plan-not-draft",
            status_now=plan.status,
            allowed=sorted(MOVES[plan.status]),
        )


async def _account_for_new_plan(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID
) -> AccountDirectory:
    try:
        entry = await visible_account(session, AccountDirectory, principal, account_id)
    except NotFound:
        raise Unprocessable(
            f"No account {account_id} in your portfolio.", slug="unknown-account"
        ) from None
    assert isinstance(entry, AccountDirectory)
    if entry.status == "closed":
        raise Unprocessable(f"Account {account_id} is closed.", slug="account-closed")
    return entry


def _territory_of_loose_plan(principal: Principal, data: PlanIn) -> str:
    if data.territory is not None:
        territory = data.territory
    elif len(principal.territories) == 1:
        territory = next(iter(principal.territories))
    else:
        raise Unprocessable("Name the territory of the portfolio plan.", slug="territory-required")
    if data.scope == "territory" and not (
        principal.is_admin
        or (principal.has_role(Role.DISTRICT_MANAGER) and territory in principal.territories)
    ):
        raise Forbidden("A territory plan is written by a district manager of the territory.")
    return territory


def _owner_of_loose_plan(principal: Principal, data: PlanIn) -> str:
    owner = data.owner_id or principal.sub
    if owner != principal.sub and not principal.has_role(Role.DISTRICT_MANAGER, Role.ADMIN):
        raise Forbidden("Only a district manager writes a plan for someone else's portfolio.")
    return owner


def _check_reaudit(plan_start: Any, plan_end: Any, reaudit_on: Any) -> None:
    if reaudit_on is not None and not plan_start <= reaudit_on <= plan_end:
        raise Unprocessable(
            f"The re-audit date {reaudit_on} lies outside the plan's period "
            f"{plan_start} - {plan_end}.",
            slug="reaudit-outside-period",
        )


def _stored(items: Sequence[Any]) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json", exclude_none=True) for item in items]


async def create_plan(
    session: AsyncSession, outbox: Outbox, principal: Principal, data: PlanIn
) -> Plan:
    if data.account_id is not None:
        entry = await _account_for_new_plan(session, principal, data.account_id)
        territory, owner = entry.territory, data.owner_id or entry.owner_id
    else:
        territory = _territory_of_loose_plan(principal, data)
        owner = _owner_of_loose_plan(principal, data)
    _check_reaudit(data.start_date, data.end_date, data.reaudit_on)
    plan = Plan(
        title=data.title,
        kind=data.kind,
        scope=data.scope,
        account_id=data.account_id,
        territory=territory,
        owner_id=owner,
        stakeholders=_stored(data.stakeholders),
        budget_lines=_stored(data.budget_lines),
        start_date=data.start_date,
        end_date=data.end_date,
        reaudit_on=data.reaudit_on,
        contract_id=data.contract_id,
        origin="user",
        status="draft",
        created_by=principal.sub,
    )
    session.add(plan)
    await emit(
        session,
        outbox,
        plan,
        lambda: PlanCreated(plan=plan_state(plan), origin="user", created_by=principal.sub),
    )
    return plan


async def amend_plan(
    session: AsyncSession, outbox: Outbox, principal: Principal, plan: Plan, data: PlanAmendIn
) -> Plan:
    require_draft(plan, "the plan changes")
    start = data.start_date or plan.start_date
    end = data.end_date or plan.end_date
    if end <= start:
        raise Unprocessable("end_date must be after start_date.", slug="invalid-period")
    reaudit = data.reaudit_on if "reaudit_on" in data.model_fields_set else plan.reaudit_on
    _check_reaudit(start, end, reaudit)
    plan.start_date, plan.end_date, plan.reaudit_on = start, end, reaudit
    if data.title is not None:
        plan.title = data.title
    if data.owner_id is not None and data.owner_id != plan.owner_id:
        if not principal.has_role(Role.DISTRICT_MANAGER, Role.KEY_ACCOUNT_MANAGER, Role.ADMIN):
            raise Forbidden("A manager gives a plan to another owner.")
        plan.owner_id = data.owner_id
    if data.stakeholders is not None:
        plan.stakeholders = _stored(data.stakeholders)
    if data.budget_lines is not None:
        plan.budget_lines = _stored(data.budget_lines)
    if "contract_id" in data.model_fields_set:
        plan.contract_id = data.contract_id
    await session.flush()
    return plan


async def delete_plan(session: AsyncSession, plan: Plan) -> None:
    """A draft may be withdrawn; offline clients receive a tombstone."""
    require_draft(plan, "the plan may be deleted")
    plan.deleted_at = utcnow()
    await session.flush()


async def may_decide(
    session: AsyncSession, principal: Principal, plan: Plan, *own: str | None
) -> None:
    """403 unless ``principal`` decides on the plan (or its requests): a district manager of
    its territory, the account's key account manager, an admin; never on their ``own``."""
    if principal.sub in own:
        raise Forbidden("Nobody approves their own plan or request.")
    if principal.is_admin:
        return
    if principal.has_role(Role.DISTRICT_MANAGER) and plan.territory in principal.territories:
        return
    if principal.has_role(Role.KEY_ACCOUNT_MANAGER) and plan.account_id is not None:
        entry = await session.get(AccountDirectory, plan.account_id)
        if entry is not None and entry.key_account_manager_id == principal.sub:
            return
    raise Forbidden(
        "A district manager of the plan's territory (or the account's key account manager) "
        "decides on it."
    )


def _move(plan: Plan, step: str) -> None:
    plan.status = next_status("Plan", MOVES, plan.id, plan.status, step)


async def submit_plan(
    session: AsyncSession, outbox: Outbox, principal: Principal, plan: Plan
) -> Plan:
    _move(plan, "submit")
    plan.submitted_by, plan.submitted_at = principal.sub, utcnow()
    plan.rejection_reason = None
    await emit(
        session,
        outbox,
        plan,
        lambda: PlanSubmitted(plan=plan_state(plan), submitted_by=principal.sub),
    )
    return plan


async def approve_plan(
    session: AsyncSession, outbox: Outbox, principal: Principal, plan: Plan
) -> Plan:
    next_status("Plan", MOVES, plan.id, plan.status, "approve")
    await may_decide(session, principal, plan, plan.owner_id, plan.submitted_by)
    _move(plan, "approve")
    plan.approved_by, plan.approved_at = principal.sub, utcnow()
    await follow_plan(session, outbox, plan, await indicators.periods_of_plan(session, plan.id))
    await emit(
        session,
        outbox,
        plan,
        lambda: PlanApproved(plan=plan_state(plan), approved_by=principal.sub),
    )
    return plan


async def reject_plan(
    session: AsyncSession, outbox: Outbox, principal: Principal, plan: Plan, reason: str
) -> Plan:
    next_status("Plan", MOVES, plan.id, plan.status, "reject")
    await may_decide(session, principal, plan, plan.owner_id, plan.submitted_by)
    _move(plan, "reject")
    plan.rejection_reason = reason
    await emit(
        session,
        outbox,
        plan,
        lambda: PlanRejected(plan=plan_state(plan), rejected_by=principal.sub, reason=reason),
    )
    return plan


async def activate_plan(
    session: AsyncSession, outbox: Outbox, principal: Principal, plan: Plan
) -> Plan:
    _move(plan, "activate")
    plan.activated_at = utcnow()
    await emit(
        session,
        outbox,
        plan,
        lambda: PlanActivated(plan=plan_state(plan), activated_by=principal.sub),
    )
    return plan


async def close_plan(
    session: AsyncSession, outbox: Outbox, principal: Principal, plan: Plan
) -> Plan:
    _move(plan, "close")
    plan.closed_at = utcnow()
    await emit(
        session, outbox, plan, lambda: PlanClosed(plan=plan_state(plan), closed_by=principal.sub)
    )
    return plan


async def awaiting_approval(session: AsyncSession, principal: Principal) -> Sequence[Plan]:
    return await repository.submitted_for(session, principal)
