from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Row,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from tread_inbox.directory.models import AccountDirectory
from tread_inbox.items.audience import (
    RoleShape,
    account_known,
    audience_clause,
    named_path,
    role_paths,
    role_shape,
)
from tread_inbox.items.models import (
    DecisionProgress,
    InboxItem,
    ItemDeparture,
    ItemReceipt,
    OpenItemCount,
)
from tread_shared.auth.principal import Principal
from tread_shared.auth.scope import ScopeShape, account_scope_shape
from tread_shared.db.upsert import insert_on_conflict


def _visible(principal: Principal) -> Select[InboxItem, ItemReceipt | None]:
    """Items reaching ``principal`` with the caller's receipt (``None`` when never opened)."""
    return (
        select(InboxItem, ItemReceipt)
        .outerjoin(AccountDirectory, AccountDirectory.account_id == InboxItem.account_id)
        .outerjoin(
            ItemReceipt,
            and_(ItemReceipt.item_id == InboxItem.id, ItemReceipt.user_id == principal.sub),
        )
        .where(audience_clause(principal))
    )


def _with_receipt(principal: Principal | None) -> Select[InboxItem, ItemReceipt | None]:
    """The caller's receipt beside each item (``None``: the caller is ``scope_sub``, bound)."""
    user = bindparam("scope_sub") if principal is None else principal.sub
    return select(InboxItem, ItemReceipt).outerjoin(
        ItemReceipt,
        and_(ItemReceipt.item_id == InboxItem.id, ItemReceipt.user_id == user),
    )


def _named(scope: ScopeShape, *filters: Any) -> Select[InboxItem, ItemReceipt | None]:
    """The items named to the caller, with the caller's receipt, and ``filters`` (values
    bound: ``role_shape``)."""
    return (
        _with_receipt(None)
        .outerjoin(AccountDirectory, AccountDirectory.account_id == InboxItem.account_id)
        .where(account_known(), named_path(scope), _live(), *filters)
    )


def _live() -> Any:
    return and_(
        InboxItem.deleted_at.is_(None),
        or_(AccountDirectory.account_id.is_(None), AccountDirectory.deleted.is_(False)),
    )


def _open() -> Any:
    return and_(InboxItem.done_at.is_(None), ItemReceipt.done_at.is_(None))


def _state_clause(state: str) -> Any:
    if state == "done":
        return or_(InboxItem.done_at.is_not(None), ItemReceipt.done_at.is_not(None))
    if state == "read":
        return and_(_open(), ItemReceipt.read_at.is_not(None))
    return and_(_open(), ItemReceipt.read_at.is_(None))


async def by_key(session: AsyncSession, key: str) -> InboxItem | None:
    item: InboxItem | None = await session.scalar(select(InboxItem).where(InboxItem.key == key))
    return item


def _of_resource(resource_type: str, resource_id: str, kinds: Sequence[str]) -> Any:
    return select(InboxItem).where(
        InboxItem.resource_type == resource_type,
        InboxItem.resource_id == resource_id,
        InboxItem.kind.in_(kinds),
        InboxItem.deleted_at.is_(None),
    )


async def open_of_resource(
    session: AsyncSession, resource_type: str, resource_id: str, kinds: Sequence[str]
) -> Sequence[InboxItem]:
    """The resource's open items of ``kinds``."""
    query = _of_resource(resource_type, resource_id, kinds).where(InboxItem.done_at.is_(None))
    return (await session.scalars(query)).all()


async def decision_progress(
    session: AsyncSession, resource_type: str, resource_id: str
) -> DecisionProgress | None:
    """The resource's latest step, locked until the transaction ends (PostgreSQL): two events
    of one resource applied at once by two replicas take their turns."""
    query = (
        select(DecisionProgress)
        .where(
            DecisionProgress.resource_type == resource_type,
            DecisionProgress.resource_id == resource_id,
        )
        .with_for_update()
    )
    found: DecisionProgress | None = await session.scalar(query)
    return found


async def of_accounts(
    session: AsyncSession, account_ids: Sequence[uuid.UUID]
) -> Sequence[InboxItem]:
    """The items of ``account_ids`` not removed, in one statement, by account then position
    (most accounts of a run of directory events have none: a new account's)."""
    rows = await session.scalars(
        select(InboxItem)
        .where(InboxItem.account_id.in_(account_ids), InboxItem.deleted_at.is_(None))
        .order_by(InboxItem.account_id, InboxItem.position)
    )
    return rows.all()


async def _core(session: AsyncSession, query: Any, values: dict[str, Any]) -> Any:
    """``query``'s rows through the session's connection: plain rows, without the ORM's
    result machinery (a seventh of the page's CPU for rows that are no entities anyway)."""
    connection = await session.connection()
    return await connection.execute(query, values)


# What a page shows of an item and of the caller's receipt: rows, not entities (loading 51
# of each into the session was a fifth of the page's CPU).
PAGE_COLUMNS = (
    InboxItem.id,
    InboxItem.kind,
    InboxItem.category,
    InboxItem.title,
    InboxItem.resource_url,
    InboxItem.reason,
    InboxItem.account_id,
    InboxItem.since,
    InboxItem.done_at,
    InboxItem.done_by,
    InboxItem.position,
    InboxItem.updated_at,
    ItemReceipt.read_at.label("read_at"),
    ItemReceipt.done_at.label("receipt_done_at"),
    ItemReceipt.updated_at.label("receipt_updated_at"),
)


async def page(
    session: AsyncSession,
    principal: Principal,
    *,
    kind: str | None,
    state: str | None,
    before_id: uuid.UUID | None,
    limit: int,
) -> Sequence[Any]:
    """Newest first (ids are time-ordered), live items only, as ``PAGE_COLUMNS``. The first
    ``limit + 1`` of each path (the named items; each role's, by the audience kept with the
    items), then the first ``limit + 1`` of those: one ``ORDER BY id DESC LIMIT`` over all the
    items scans the table backwards until it has found the caller's (all of it for a user
    with a hundred items in a million)."""
    roles, values = role_shape(principal)
    scope, scope_values = account_scope_shape(principal)
    values.update(scope_values, kind=kind, before_id=before_id)
    statement = _page(roles, scope, kind is not None, state, before_id is not None, limit)
    rows: Sequence[Any] = (await _core(session, statement, values)).all()
    return rows


@lru_cache(maxsize=512)
def _page(
    roles: RoleShape,
    scope: ScopeShape,
    by_kind: bool,
    state: str | None,
    before: bool,
    limit: int,
) -> Any:
    """``page``'s statement for callers of one shape, values bound: building it was a fifth
    of a page's CPU."""
    filters = []
    if by_kind:
        filters.append(InboxItem.kind == bindparam("kind"))
    if state is not None:
        filters.append(_state_clause(state))
    if before:
        filters.append(InboxItem.id < bindparam("before_id"))
    paths = [_named(scope, *filters)] + [
        _with_receipt(None).where(path, *filters) for path in role_paths(roles)
    ]
    newest = [
        path.with_only_columns(InboxItem.id).order_by(InboxItem.id.desc()).limit(limit + 1)
        for path in paths
    ]
    candidates = union_all(*(select(found.subquery().c.id) for found in newest))
    return (
        _with_receipt(None)
        .with_only_columns(*PAGE_COLUMNS)
        .where(InboxItem.id.in_(candidates))
        .order_by(InboxItem.id.desc())
        .limit(limit + 1)
    )


async def changed_since(
    session: AsyncSession,
    principal: Principal,
    since: datetime,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Row[InboxItem, ItemReceipt | None, datetime]]:
    """Items changed at or after ``since`` in change order, deleted ones included, with the
    time of their last change for the caller: the item's, or the caller's own last mark."""
    changed_at = case(
        (ItemReceipt.updated_at > InboxItem.updated_at, ItemReceipt.updated_at),
        else_=InboxItem.updated_at,
    )
    query = (
        _visible(principal)
        .add_columns(changed_at)
        .where(or_(InboxItem.updated_at >= since, ItemReceipt.updated_at >= since))
    )
    if after is not None:
        time, last_id = after
        query = query.where(
            or_(changed_at > time, and_(changed_at == time, InboxItem.id > last_id))
        )
    rows = await session.execute(query.order_by(changed_at, InboxItem.id).limit(limit + 1))
    return rows.all()


def _departures(principal: Principal) -> Select[ItemDeparture]:
    """Departures of items that reached ``principal`` before their account moved and reach
    them no longer."""
    return (
        select(ItemDeparture)
        .join(InboxItem, InboxItem.id == ItemDeparture.item_id)
        .outerjoin(AccountDirectory, AccountDirectory.account_id == InboxItem.account_id)
        .where(
            audience_clause(principal, ItemDeparture),
            # NULL (an unknown key account manager…) is "does not reach" too.
            audience_clause(principal).is_not(true()),
        )
    )


async def departed_since(
    session: AsyncSession,
    principal: Principal,
    since: datetime,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Row[uuid.UUID, datetime]]:
    """``(item id, departed at)`` of the caller's items gone at or after ``since`` with their
    account, in the order of ``changed_since``."""
    query = (
        _departures(principal)
        .with_only_columns(ItemDeparture.item_id, ItemDeparture.departed_at)
        .where(ItemDeparture.departed_at >= since)
    )
    if after is not None:
        time, last_id = after
        query = query.where(
            or_(
                ItemDeparture.departed_at > time,
                and_(ItemDeparture.departed_at == time, ItemDeparture.item_id > last_id),
            )
        )
    order = (ItemDeparture.departed_at, ItemDeparture.item_id)
    return (await session.execute(query.order_by(*order).limit(limit + 1))).all()


async def departed_after_position(
    session: AsyncSession, principal: Principal, position: int, limit: int
) -> Sequence[ItemDeparture]:
    """The caller's departures after ``position``, in position order (the push stream)."""
    query = (
        _departures(principal)
        .where(ItemDeparture.position > position)
        .order_by(ItemDeparture.position)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def departures_between(
    session: AsyncSession, after: int, upto: int
) -> Sequence[Row[ItemDeparture, InboxItem, AccountDirectory | None]]:
    """Every departure in ``(after, upto]`` with its item and the account's entry now."""
    query = (
        select(ItemDeparture, InboxItem, AccountDirectory)
        .join(InboxItem, InboxItem.id == ItemDeparture.item_id)
        .outerjoin(AccountDirectory, AccountDirectory.account_id == InboxItem.account_id)
        .where(ItemDeparture.position > after, ItemDeparture.position <= upto)
        .order_by(ItemDeparture.position)
    )
    return (await session.execute(query)).all()


async def after_position(
    session: AsyncSession, principal: Principal, position: int, limit: int
) -> Sequence[Row[InboxItem, ItemReceipt | None, bool | None]]:
    """Items that changed after ``position``, in position order (the push stream), removed
    ones included, with whether their account is deleted."""
    query = (
        _visible(principal)
        .add_columns(AccountDirectory.deleted)
        .where(InboxItem.position > position)
        .order_by(InboxItem.position)
        .limit(limit)
    )
    rows = await session.execute(query)
    return rows.all()


async def visible_item(
    session: AsyncSession, principal: Principal, item_id: uuid.UUID
) -> Any | None:
    row = (
        await session.execute(_visible(principal).where(InboxItem.id == item_id, _live()))
    ).first()
    return row


async def unread_counts(session: AsyncSession, principal: Principal) -> dict[str, int]:
    """Per kind: the caller's named items unread, counted from their rows; plus the open
    count of every role audience the caller is in (``OpenItemCount``, each row once: an item
    on two of the caller's paths counted once), minus the caller's own marks on those
    items. One statement, one round trip."""
    roles, values = role_shape(principal)
    scope, scope_values = account_scope_shape(principal)
    values.update(scope_values)
    statement = _counts(roles, scope, bool(principal.sub))
    counts = await _core(session, statement, values)
    return {kind: int(count) for kind, count in counts if count > 0}


@lru_cache(maxsize=64)
def _counts(roles: RoleShape, scope: ScopeShape, has_sub: bool) -> Any:
    """``unread_counts``' statement for callers of one shape (values bound): per kind, the
    named items unread, plus the open counts of the caller's audiences, minus the caller's
    marks on their items."""
    named = (
        _named(scope, _state_clause("unread"))
        .with_only_columns(InboxItem.kind.label("kind"), func.count().label("n"))
        .group_by(InboxItem.kind)
    )
    counted = OpenItemCount
    sub: BindParameter[str] = bindparam("scope_sub")
    account_manager, key_account_manager, district_manager, central = roles
    audiences = []
    if account_manager:
        audiences.append(counted.owner_id == sub)
    if key_account_manager:
        audiences.append(counted.key_account_manager_id == sub)
    if district_manager:
        audiences.append(counted.territory.in_(bindparam("scope_territories", expanding=True)))
    if central:
        audiences.append(counted.for_central == true())
    if not audiences or not has_sub:
        return named
    open_by_audience = (
        select(counted.kind.label("kind"), func.sum(counted.open).label("n"))
        .where(or_(*audiences))
        .group_by(counted.kind)
    )
    marked = (
        select(InboxItem.kind.label("kind"), (-func.count()).label("n"))
        .select_from(ItemReceipt)
        .join(InboxItem, InboxItem.id == ItemReceipt.item_id)
        .where(
            ItemReceipt.user_id == sub,
            or_(ItemReceipt.read_at.is_not(None), ItemReceipt.done_at.is_not(None)),
            InboxItem.done_at.is_(None),
            or_(*role_paths(roles)),
        )
        .group_by(InboxItem.kind)
    )
    parts = union_all(named, open_by_audience, marked).subquery()
    return select(parts.c.kind, func.sum(parts.c.n)).group_by(parts.c.kind)


async def count_open(
    session: AsyncSession, audience: tuple[str, str, str, bool], kind: str, change: int
) -> None:
    """Add ``change`` to the open count of ``audience`` (owner, key account manager,
    territory, central) and ``kind``, made at 0 when missing."""
    owner_id, key_account_manager_id, territory, for_central = audience
    statement = insert_on_conflict(session.get_bind().dialect.name, OpenItemCount).values(
        owner_id=owner_id,
        key_account_manager_id=key_account_manager_id,
        territory=territory,
        for_central=for_central,
        kind=kind,
        open=change,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[
                OpenItemCount.owner_id,
                OpenItemCount.key_account_manager_id,
                OpenItemCount.territory,
                OpenItemCount.for_central,
                OpenItemCount.kind,
            ],
            set_={"open": OpenItemCount.open + change},
        )
    )


async def receipt(session: AsyncSession, item_id: uuid.UUID, user_id: str) -> ItemReceipt | None:
    found: ItemReceipt | None = await session.get(ItemReceipt, (item_id, user_id))
    return found


async def bump(session: AsyncSession, item: InboxItem, position: int, at: datetime) -> None:
    await session.execute(
        update(InboxItem).where(InboxItem.id == item.id).values(position=position, updated_at=at)
    )


async def changed_between(
    session: AsyncSession, after: int, upto: int
) -> Sequence[Row[InboxItem, AccountDirectory | None]]:
    """Every item whose latest change is in ``(after, upto]``, with its account's directory
    entry, in position order (for everyone: the push stream filters per caller)."""
    query = (
        select(InboxItem, AccountDirectory)
        .outerjoin(AccountDirectory, AccountDirectory.account_id == InboxItem.account_id)
        .where(InboxItem.position > after, InboxItem.position <= upto)
        .order_by(InboxItem.position)
    )
    return (await session.execute(query)).all()
