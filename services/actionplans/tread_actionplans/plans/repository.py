from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.directory.models import AccountDirectory
from tread_actionplans.plans.models import Plan
from tread_shared.auth.principal import Principal, Role
from tread_shared.directory.handlers import scope_clause

T = TypeVar("T")


def _loose_plan_clause(principal: Principal) -> ColumnElement[bool]:
    """Territory and portfolio plans: the territory's district managers, and their owner."""
    conditions: list[ColumnElement[bool]] = []
    if principal.has_role(Role.DISTRICT_MANAGER) and principal.territories:
        conditions.append(Plan.territory.in_(sorted(principal.territories)))
    if principal.has_role(Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER):
        conditions.append(Plan.owner_id == principal.sub)
    return or_(*conditions) if conditions else false()


def within_plan_scope(query: Select[T], principal: Principal) -> Select[T]:
    """``query`` (over ``Plan``, or joined to it) narrowed to plans ``principal`` may see: an
    account's plan with its account (live accounts only), the others by territory and owner."""
    query = query.outerjoin(AccountDirectory, AccountDirectory.account_id == Plan.account_id)
    if principal.reads_everything:
        return query.where(or_(Plan.account_id.is_(None), AccountDirectory.deleted.is_(False)))
    return query.where(
        or_(
            and_(
                Plan.account_id.is_not(None),
                AccountDirectory.deleted.is_(False),
                scope_clause(principal, AccountDirectory),
            ),
            and_(Plan.account_id.is_(None), _loose_plan_clause(principal)),
        )
    )


@dataclass(frozen=True)
class PlanFilters:
    owner_id: str | None = None
    account_id: uuid.UUID | None = None
    territory: str | None = None
    kind: str | None = None
    status: str | None = None
    active_from: date | None = None
    active_to: date | None = None


def visible(principal: Principal, filters: PlanFilters) -> Select[Plan]:
    query = within_plan_scope(select(Plan), principal)
    if filters.owner_id is not None:
        query = query.where(Plan.owner_id == filters.owner_id)
    if filters.account_id is not None:
        query = query.where(Plan.account_id == filters.account_id)
    if filters.territory is not None:
        query = query.where(Plan.territory == filters.territory)
    if filters.kind is not None:
        query = query.where(Plan.kind == filters.kind)
    if filters.status is not None:
        query = query.where(Plan.status == filters.status)
    if filters.active_from is not None:
        query = query.where(Plan.end_date >= filters.active_from)
    if filters.active_to is not None:
        query = query.where(Plan.start_date <= filters.active_to)
    return query


def awaiting_decision_of(principal: Principal) -> ColumnElement[bool]:
    """Plans whose approval ``principal`` decides (not their own)."""
    if principal.is_admin:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if principal.has_role(Role.DISTRICT_MANAGER) and principal.territories:
        conditions.append(Plan.territory.in_(sorted(principal.territories)))
    if principal.has_role(Role.KEY_ACCOUNT_MANAGER):
        conditions.append(
            and_(
                Plan.account_id.is_not(None),
                AccountDirectory.key_account_manager_id == principal.sub,
            )
        )
    if not conditions:
        return false()
    not_own = and_(
        func.coalesce(Plan.owner_id, "") != principal.sub,
        func.coalesce(Plan.submitted_by, "") != principal.sub,
    )
    return and_(or_(*conditions), not_own)


async def submitted_for(session: AsyncSession, principal: Principal) -> Sequence[Plan]:
    query = within_plan_scope(select(Plan), principal).where(
        Plan.status == "submitted", Plan.deleted_at.is_(None), awaiting_decision_of(principal)
    )
    return (await session.scalars(query.order_by(Plan.submitted_at).limit(500))).all()


async def by_audit(session: AsyncSession, audit_id: uuid.UUID) -> Plan | None:
    plan: Plan | None = await session.scalar(select(Plan).where(Plan.audit_id == audit_id))
    return plan


async def open_of_accounts(
    session: AsyncSession, account_ids: Iterable[uuid.UUID]
) -> Sequence[Plan]:
    """The open plans of ``account_ids``, in one statement."""
    ids = sorted(set(account_ids))
    if not ids:
        return []
    query = select(Plan).where(
        Plan.account_id.in_(ids), Plan.status != "closed", Plan.deleted_at.is_(None)
    )
    return (await session.scalars(query.order_by(Plan.id))).all()
