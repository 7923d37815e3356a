from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true

from tread_actionplans.directory.models import AccountDirectory
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.repository import within_plan_scope
from tread_actionplans.resources.models import ResourceRequest
from tread_shared.auth.principal import Principal, Role


def _decided_by(principal: Principal) -> ColumnElement[bool]:
    """Requests ``principal`` decides on: their territory's, their key accounts', not their
    own nor on their own plans."""
    if principal.is_admin:
        mine: ColumnElement[bool] = true()
    else:
        conditions: list[ColumnElement[bool]] = []
        if principal.has_role(Role.DISTRICT_MANAGER) and principal.territories:
            conditions.append(Plan.territory.in_(sorted(principal.territories)))
        if principal.has_role(Role.KEY_ACCOUNT_MANAGER):
            conditions.append(AccountDirectory.key_account_manager_id == principal.sub)
        mine = or_(*conditions) if conditions else false()
    return and_(
        mine,
        ResourceRequest.requested_by != principal.sub,
        func.coalesce(Plan.owner_id, "") != principal.sub,
    )


@dataclass(frozen=True)
class RequestFilters:
    plan_id: uuid.UUID | None = None
    status: str | None = None
    awaiting_me: bool = False


def visible(principal: Principal, filters: RequestFilters) -> Select[ResourceRequest]:
    query = within_plan_scope(
        select(ResourceRequest).join(Plan, Plan.id == ResourceRequest.plan_id), principal
    )
    if filters.plan_id is not None:
        query = query.where(ResourceRequest.plan_id == filters.plan_id)
    if filters.status is not None:
        query = query.where(ResourceRequest.status == filters.status)
    if filters.awaiting_me:
        query = query.where(ResourceRequest.status == "requested", _decided_by(principal))
    return query
