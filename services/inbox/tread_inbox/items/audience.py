"""Who an item reaches. An item names either a user (``recipient_id``: the case's assignee, the
plan's owner, the digest's subscriber) or roles that reach it through its account or territory:

- ``account_manager``: the account's owner;
- ``key_account_manager``: the account's key account manager;
- ``district_manager``: a district manager of the account's (or plan's) territory;
- ``central``: central office.

Each role counts only for its own path (a district manager who also owns accounts elsewhere
does not get the district manager's decisions on them), and an item about an account reaches
nobody while that account is unknown here or deleted. A named user must still see the account.
Operators (``admin``) read everything and so receive nothing unless named."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, false, func, or_, true

from tread_inbox.directory.models import AccountDirectory
from tread_inbox.items.models import InboxItem
from tread_shared.auth.principal import Principal, Role
from tread_shared.auth.scope import (
    ScopeShape,
    account_scope_bound,
    account_scope_clause,
    can_see_account,
)


class DirectoryEntry(Protocol):
    owner_id: str
    territory: str
    key_account_manager_id: str | None
    deleted: bool


class Addressed(Protocol):
    """What decides an item's audience (an ``InboxItem``, or a snapshot of one)."""

    account_id: Any
    territory: str | None
    recipient_id: str | None
    for_account_manager: bool
    for_key_account_manager: bool
    for_district_manager: bool
    for_central: bool


def audience_clause(principal: Principal, entry: Any = AccountDirectory) -> ColumnElement[bool]:
    """SQL condition on ``InboxItem`` outer-joined to ``AccountDirectory``: the items that
    reach ``principal`` (tombstones included: the caller filters them). ``entry``: where the
    account's owner, key account manager and territory are read from (``ItemDeparture`` for
    the audience an item had before its account moved)."""
    item = InboxItem
    by_role: list[ColumnElement[bool]] = []
    if principal.has_role(Role.ACCOUNT_MANAGER):
        by_role.append(and_(item.for_account_manager, entry.owner_id == principal.sub))
    if principal.has_role(Role.KEY_ACCOUNT_MANAGER):
        by_role.append(
            and_(item.for_key_account_manager, entry.key_account_manager_id == principal.sub)
        )
    if principal.has_role(Role.DISTRICT_MANAGER) and principal.territories:
        territory = func.coalesce(entry.territory, item.territory)
        by_role.append(
            and_(item.for_district_manager, territory.in_(sorted(principal.territories)))
        )
    if principal.has_role(Role.CENTRAL):
        by_role.append(item.for_central.is_(True))
    in_scope = account_scope_clause(
        principal,
        owner_id=entry.owner_id,
        territory=entry.territory,
        key_account_manager_id=entry.key_account_manager_id,
    )
    named = and_(item.recipient_id == principal.sub, or_(item.account_id.is_(None), in_scope))
    roles = and_(item.recipient_id.is_(None), or_(*by_role)) if by_role else false()
    return and_(account_known(entry), or_(named, roles))


RoleShape = tuple[bool, bool, bool, bool]
"""Which role paths a caller has: account manager, key account manager, district manager (of
some territory), central."""


def role_shape(principal: Principal) -> tuple[RoleShape, dict[str, Any]]:
    """The caller's role paths and the values of their bound parameters (``scope_sub``,
    ``scope_territories``: the names ``account_scope_bound`` uses too)."""
    district = principal.has_role(Role.DISTRICT_MANAGER) and bool(principal.territories)
    shape = (
        principal.has_role(Role.ACCOUNT_MANAGER),
        principal.has_role(Role.KEY_ACCOUNT_MANAGER),
        district,
        principal.has_role(Role.CENTRAL),
    )
    values: dict[str, Any] = {"scope_sub": principal.sub}
    if district:
        values["scope_territories"] = sorted(principal.territories)
    return shape, values


def role_paths(shape: RoleShape) -> list[ColumnElement[bool]]:
    """The role part of ``audience_clause`` cut into paths that are exact and each led by an
    index, newest first: each role's items by the account's audience kept with them
    (``InboxItem.account_owner_id``…, NULL while the account is unknown or deleted), with no
    lookup in the directory; a territory's items without an account; central's. A query run
    one path at a time reads the caller's few items, not the million of everyone's, and no
    path is an ``OR`` of the others, which the planner cannot estimate. Live items only. The
    caller's values are bound parameters (``role_shape``): a statement is built once per
    shape."""
    item = InboxItem
    sub: BindParameter[str] = bindparam("scope_sub")
    account_manager, key_account_manager, district_manager, central = shape
    unnamed = and_(item.recipient_id.is_(None), item.deleted_at.is_(None))
    paths: list[ColumnElement[bool]] = []
    if account_manager:
        paths.append(and_(item.account_owner_id == sub, item.for_account_manager))
    if key_account_manager:
        paths.append(and_(item.account_key_account_manager_id == sub, item.for_key_account_manager))
    if district_manager:
        territories: BindParameter[list[str]] = bindparam("scope_territories", expanding=True)
        paths.append(and_(item.account_territory.in_(territories), item.for_district_manager))
        paths.append(
            and_(
                item.territory.in_(territories),
                item.account_id.is_(None),
                item.for_district_manager,
            )
        )
    if central:
        known = or_(item.account_id.is_(None), item.account_owner_id.is_not(None))
        paths.append(and_(item.for_central == true(), known))  # "IS true" uses no index
    return [and_(path, unnamed) for path in paths]


def named_path(scope: ScopeShape) -> ColumnElement[bool]:
    """The items named to the caller whose account they still see (``AccountDirectory``
    outer-joined, ``account_known`` beside); values bound as ``account_scope_bound``'s."""
    in_scope = account_scope_bound(
        scope,
        owner_id=AccountDirectory.owner_id,
        territory=AccountDirectory.territory,
        key_account_manager_id=AccountDirectory.key_account_manager_id,
    )
    return and_(
        InboxItem.recipient_id == bindparam("scope_sub"),
        or_(InboxItem.account_id.is_(None), in_scope),
    )


def account_known(entry: Any = AccountDirectory) -> ColumnElement[bool]:
    """An item about an account reaches nobody while the account is unknown here."""
    return or_(InboxItem.account_id.is_(None), entry.account_id.is_not(None))


def reaches(item: Addressed, principal: Principal, entry: DirectoryEntry | None) -> bool:
    """The same rule in Python, for one item, one user and the item's directory entry."""
    if item.account_id is not None and (entry is None or entry.deleted):
        return False
    if item.recipient_id is not None:
        if item.recipient_id != principal.sub:
            return False
        return entry is None or can_see_account(
            principal,
            owner_id=entry.owner_id,
            territory=entry.territory,
            key_account_manager_id=entry.key_account_manager_id,
        )
    territory: Any = entry.territory if entry is not None else item.territory
    return (
        (
            item.for_account_manager
            and principal.has_role(Role.ACCOUNT_MANAGER)
            and entry is not None
            and entry.owner_id == principal.sub
        )
        or (
            item.for_key_account_manager
            and principal.has_role(Role.KEY_ACCOUNT_MANAGER)
            and entry is not None
            and entry.key_account_manager_id == principal.sub
        )
        or (
            item.for_district_manager
            and principal.has_role(Role.DISTRICT_MANAGER)
            and territory in principal.territories
        )
        or (item.for_central and principal.has_role(Role.CENTRAL))
    )
