"""Who sees which account. One rule for every service:

- ``admin`` and ``central``: every account (central's writes are restricted per route);
- ``district_manager``: the accounts of their ``territories``;
- ``key_account_manager``: the accounts whose key account manager they are (own or group's);
- ``account_manager``: the accounts they own;
- ``integration``: none (webhooks only).
A caller with several roles sees the union. Outside the scope answers 404, in lists too."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, true
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
