"""Who sees which account. One rule for every service:

- ``admin`` and ``central``: every account (central's writes are restricted per route);
- ``district_manager``: the accounts of their ``territories``;
- ``key_account_manager``: the accounts whose key account manager they are (own or group's);
- ``account_manager``: the accounts they own;
- ``integration``: none (webhooks only).
A caller with several roles sees the union. Outside the scope answers 404, in lists too."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, ColumnElement, bindparam, false, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from tread_shared.auth.principal import Principal, Role


def can_see_account(
    principal: Principal, *, owner_id: str, territory: str, key_account_manager_id: str | None
) -> bool:
    """Whether ``principal`` may see an account with these directory fields."""
    if principal.reads_everything:
        return True
    if principal.has_role(Role.DISTRICT_MANAGER) and territory in principal.territories:
        return True
    if principal.has_role(Role.KEY_ACCOUNT_MANAGER) and key_account_manager_id == principal.sub:
        return True
    return principal.has_role(Role.ACCOUNT_MANAGER) and owner_id == principal.sub


def account_scope_clause(
    principal: Principal,
    *,
    owner_id: InstrumentedAttribute[str],
    territory: InstrumentedAttribute[str],
    key_account_manager_id: InstrumentedAttribute[str | None],
) -> ColumnElement[bool]:
    """The SQL condition selecting the accounts ``principal`` may see (same rule as above)."""
    if principal.reads_everything:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if principal.has_role(Role.DISTRICT_MANAGER) and principal.territories:
        conditions.append(territory.in_(sorted(principal.territories)))
    if principal.has_role(Role.KEY_ACCOUNT_MANAGER):
        conditions.append(key_account_manager_id == principal.sub)
    if principal.has_role(Role.ACCOUNT_MANAGER):
        conditions.append(owner_id == principal.sub)
    return or_(*conditions) if conditions else false()


ScopeShape = tuple[bool, bool, bool, bool]
"""Which conditions of the rule apply to a caller: everything, territories, key accounts, own."""


def account_scope_shape(principal: Principal) -> tuple[ScopeShape, dict[str, Any]]:
    """The shape of ``principal``'s scope and the values of its bound parameters, for a
    statement built once per shape with :func:`account_scope_bound` (the same rule as
    :func:`account_scope_clause`, without building the condition on every request)."""
    everything = principal.reads_everything
    shape = (
        everything,
        not everything
        and principal.has_role(Role.DISTRICT_MANAGER)
        and bool(principal.territories),
        not everything and principal.has_role(Role.KEY_ACCOUNT_MANAGER),
        not everything and principal.has_role(Role.ACCOUNT_MANAGER),
    )
    values: dict[str, Any] = {"scope_sub": principal.sub}
    if shape[1]:
        values["scope_territories"] = sorted(principal.territories)
    return shape, values


def account_scope_bound(
    shape: ScopeShape,
    *,
    owner_id: InstrumentedAttribute[str],
    territory: InstrumentedAttribute[str],
    key_account_manager_id: InstrumentedAttribute[str | None],
) -> ColumnElement[bool]:
    """:func:`account_scope_clause` of a caller of this ``shape``, its values bound parameters
    (``scope_sub``, ``scope_territories``) given by :func:`account_scope_shape`."""
    everything, territories, key_accounts, own = shape
    if everything:
        return true()
    sub: BindParameter[str] = bindparam("scope_sub")
    conditions: list[ColumnElement[bool]] = []
    if territories:
        conditions.append(territory.in_(bindparam("scope_territories", expanding=True)))
    if key_accounts:
        conditions.append(key_account_manager_id == sub)
    if own:
        conditions.append(owner_id == sub)
    return or_(*conditions) if conditions else false()
