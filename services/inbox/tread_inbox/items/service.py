"""Items made, closed and read. Everything that changes an item takes the next position of the
change sequence, which is what the push stream follows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import attrgetter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tread_inbox.directory.models import AccountDirectory
from tread_inbox.items import repository
from tread_inbox.items.kinds import category_of
from tread_inbox.items.models import InboxItem, ItemDeparture, ItemReceipt
from tread_inbox.items.schemas import ItemOut, UnreadCounts
from tread_inbox.mail.service import decide_immediate_mails
from tread_inbox.stream.repository import lock_changes, next_position
from tread_shared.auth.principal import Principal, Role
from tread_shared.clock import utcnow
from tread_shared.dates import plausible_datetime
from tread_shared.errors import NotFound, Problem
from tread_shared.http.pagination import Page, decode_cursor, encode_cursor
from tread_shared.http.sync import Tombstone


@dataclass
class ItemDraft:
    """An item an event asks for; ``key`` names it once (a replay finds it and makes nothing)."""

    key: str
    kind: str
    title: str
    reason: str
    resource_type: str
    resource_id: str | uuid.UUID
    resource_url: str
    since: datetime
    account_id: uuid.UUID | None = None
    territory: str | None = None
    recipient_id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)


async def record_item(
    session: AsyncSession,
    draft: ItemDraft,
    public_url: str,
    *,
    decided: tuple[str, datetime] | None = None,
) -> InboxItem | None:
    """The new item, with the mails it decides; ``None`` when it exists already. ``decided``
    (by, at): a decision whose request has not arrived (events redelivered out of order) is
    recorded done, so that the request arriving late finds it taken and mails nobody."""
    if await repository.by_key(session, draft.key) is not None:
        return None
    now = utcnow()
    # The position first: its lock orders this against an account moving (follow_accounts),
    # so the audience read below is the one the item keeps.
    position = await next_position(session)
    entry = None if draft.account_id is None else await _entry(session, draft.account_id)
    item = InboxItem(
        key=draft.key,
        kind=draft.kind,
        category=category_of(draft.kind),
        title=draft.title[:400],
        reason=draft.reason[:300],
        resource_type=draft.resource_type,
        resource_id=str(draft.resource_id),
        resource_url=draft.resource_url,
        account_id=draft.account_id,
        territory=draft.territory,
        recipient_id=draft.recipient_id,
        for_account_manager=Role.ACCOUNT_MANAGER in draft.roles,
        for_key_account_manager=Role.KEY_ACCOUNT_MANAGER in draft.roles,
        for_district_manager=Role.DISTRICT_MANAGER in draft.roles,
        for_central=Role.CENTRAL in draft.roles,
        since=draft.since,
        position=position,
        updated_at=now,
    )
    _keep_audience(item, entry)
    if decided is not None:
        item.done_by, item.done_at = decided
    await _count(session, item, 1)
    session.add(item)
    await session.flush()
    if decided is None:
        await decide_immediate_mails(session, item, public_url)
    return item


async def close_decisions(
    session: AsyncSession,
    resource_type: str,
    resource_id: str | uuid.UUID,
    kinds: Sequence[str],
    *,
    by: str,
    at: datetime,
) -> int:
    """Close the open decision items of a resource: the decision was taken (by ``by``), or a
    new request replaces them. Whether an event may close them is ``items/decisions.py``'s."""
    items = await repository.open_of_resource(session, resource_type, str(resource_id), kinds)
    if items:
        await lock_changes(session)  # before the counts: every item change takes them in order
    now = utcnow()
    for item in items:
        await _count(session, item, -1)
        item.done_at = at
        item.done_by = by
        item.position = await next_position(session)
        item.updated_at = now
    return len(items)


@dataclass(frozen=True)
class AccountAudience:
    """What decides who an account's items reach, from its directory entry."""

    owner_id: str
    territory: str
    key_account_manager_id: str | None


@dataclass(frozen=True)
class AccountMove:
    """An account whose items follow its directory entry after a run of directory events:
    ``former``, its audience before the run (``None``: unknown here, or deleted); ``deleted``,
    whether the run deleted it (its items go)."""

    former: AccountAudience | None
    deleted: bool = False


async def follow_accounts(session: AsyncSession, moves: Mapping[uuid.UUID, AccountMove]) -> None:
    """Accounts that moved to another owner, key account manager or territory (or became known
    here), or were deleted, by directory events applied already in this transaction: a
    deleted account's items become tombstones; a moved account's items leave their former
    audience, each departure a change that tells those users to drop the item, and reach the
    new one as changed items. Accounts in id order, the same on every replica.

    Items being made wait for these moves (or they for them), so that each keeps the audience
    it sees: an item is made under the change counter's lock (``record_item`` takes its
    position before it reads the account's entry). So the lock is taken here before looking
    for items, not only for the accounts found to have some: an item of a new account made
    meanwhile by another replica, which read no entry yet, is found once it commits (the lock
    waits for it) and follows the account; looked for first, it would be missed and reach
    nobody. Then one statement finds the items of all the accounts; most have none (every new
    account), and cost nothing more."""
    if not moves:
        return
    await lock_changes(session)
    items = await repository.of_accounts(session, sorted(moves))
    now = utcnow()
    for account_id, of_account in groupby(items, key=attrgetter("account_id")):
        move = moves[account_id]
        if move.deleted:
            await _remove(session, of_account, now)
        else:
            entry = await _entry(session, account_id)  # as stored now, whoever wrote it
            await _follow(session, account_id, of_account, entry, move.former, now)


async def _follow(
    session: AsyncSession,
    account_id: uuid.UUID,
    items: Iterable[InboxItem],
    entry: AccountDirectory | None,
    former: AccountAudience | None,
    now: datetime,
) -> None:
    for item in items:
        await _count(session, item, -1)
        _keep_audience(item, entry)
        await _count(session, item, 1)
        if former is not None:
            session.add(
                ItemDeparture(
                    item_id=item.id,
                    account_id=account_id,
                    owner_id=former.owner_id,
                    territory=former.territory,
                    key_account_manager_id=former.key_account_manager_id,
                    position=await next_position(session),
                    departed_at=now,
                )
            )
        item.position = await next_position(session)
        item.updated_at = now


async def _remove(session: AsyncSession, items: Iterable[InboxItem], now: datetime) -> None:
    for item in items:
        await _count(session, item, -1)
        item.deleted_at = now
        item.position = await next_position(session)
        item.updated_at = now


async def _entry(session: AsyncSession, account_id: uuid.UUID) -> AccountDirectory | None:
    entry = await session.get(AccountDirectory, account_id)
    return None if entry is None or entry.deleted else entry


def _keep_audience(item: InboxItem, entry: AccountDirectory | None) -> None:
    """The account's audience kept with the item (``None`` while unknown or deleted)."""
    item.account_owner_id = entry.owner_id if entry is not None else None
    item.account_key_account_manager_id = entry.key_account_manager_id if entry else None
    item.account_territory = entry.territory if entry is not None else None


def open_audience(item: InboxItem) -> tuple[str, str, str, bool] | None:
    """The role audience an open item is counted in (``OpenItemCount``), ``None`` when it is
    named to a user, reaches nobody, or is not open."""
    if item.done_at is not None or item.deleted_at is not None or item.recipient_id is not None:
        return None
    if item.account_id is not None and item.account_owner_id is None:
        return None  # its account is unknown here, or deleted: it reaches nobody
    owner = item.account_owner_id if item.for_account_manager else None
    kam = item.account_key_account_manager_id if item.for_key_account_manager else None
    territory = item.territory if item.account_id is None else item.account_territory
    territory = territory if item.for_district_manager else None
    if not (owner or kam or territory or item.for_central):
        return None
    return owner or "", kam or "", territory or "", bool(item.for_central)


async def _count(session: AsyncSession, item: InboxItem, change: int) -> None:
    """``change`` the open count of the item's audience: +1 after an item opens or comes in,
    -1 before it closes, goes or moves away; in the transaction of the change itself, which
    holds the change counter's lock already (taken first by every item change, so that two
    transactions never lock a count and the counter in opposite orders)."""
    audience = open_audience(item)
    if audience is not None:
        await repository.count_open(session, audience, item.kind, change)


def state_of(item: InboxItem, receipt: ItemReceipt | None) -> str:
    if item.done_at is not None or (receipt is not None and receipt.done_at is not None):
        return "done"
    if receipt is not None and receipt.read_at is not None:
        return "read"
    return "unread"


def render(item: InboxItem, receipt: ItemReceipt | None) -> ItemOut:
    """The item as its caller sees it: their own marks in its state and its change time."""
    done_at = item.done_at or (receipt.done_at if receipt is not None else None)
    updated_at = item.updated_at
    if receipt is not None and receipt.updated_at > updated_at:
        updated_at = receipt.updated_at
    return ItemOut(
        id=item.id,
        kind=item.kind,
        category=item.category,
        title=item.title,
        resource_url=item.resource_url,
        reason=item.reason,
        account_id=item.account_id,
        since=item.since,
        state=state_of(item, receipt),
        done_at=done_at,
        done_by=item.done_by,
        position=item.position,
        updated_at=updated_at,
    )


def render_row(row: Any) -> ItemOut:
    """``render`` of a page's row (``repository.PAGE_COLUMNS``)."""
    if row.done_at is not None or row.receipt_done_at is not None:
        state = "done"
    elif row.read_at is not None:
        state = "read"
    else:
        state = "unread"
    updated_at = row.updated_at
    if row.receipt_updated_at is not None and row.receipt_updated_at > updated_at:
        updated_at = row.receipt_updated_at
    return ItemOut(
        id=row.id,
        kind=row.kind,
        category=row.category,
        title=row.title,
        resource_url=row.resource_url,
        reason=row.reason,
        account_id=row.account_id,
        since=row.since,
        state=state,
        done_at=row.done_at or row.receipt_done_at,
        done_by=row.done_by,
        position=row.position,
        updated_at=updated_at,
    )


async def _mine(session: AsyncSession, principal: Principal, item_id: uuid.UUID) -> Any:
    row = await repository.visible_item(session, principal, item_id)
    if row is None:
        raise NotFound(f"No inbox item {item_id}.")
    return row


async def get_item(session: AsyncSession, principal: Principal, item_id: uuid.UUID) -> ItemOut:
    item, receipt = await _mine(session, principal, item_id)
    return render(item, receipt)


async def mark(
    session: AsyncSession, principal: Principal, item_id: uuid.UUID, *, done: bool
) -> ItemOut:
    """The caller read the item (or put it away): for the caller only; idempotent."""
    item, receipt = await _mine(session, principal, item_id)
    now = utcnow()
    if receipt is None:
        receipt = ItemReceipt(item_id=item.id, user_id=principal.sub, updated_at=now)
        session.add(receipt)
    if receipt.read_at is None:
        receipt.read_at = receipt.updated_at = now
    if done and receipt.done_at is None:
        receipt.done_at = receipt.updated_at = now
    await session.flush()
    return render(item, receipt)


async def unread_counts(session: AsyncSession, principal: Principal) -> UnreadCounts:
    by_kind = await repository.unread_counts(session, principal)
    return UnreadCounts(total=sum(by_kind.values()), by_kind=by_kind)


async def list_items(
    session: AsyncSession,
    principal: Principal,
    *,
    kind: str | None,
    state: str | None,
    cursor: str | None,
    limit: int,
    updated_since: datetime | None,
) -> Page[ItemOut | Tombstone]:
    """Newest first; with ``updated_since``, every change since then in change order (the
    caller's own read and done marks included), items removed or gone with their account to
    someone else as tombstones."""
    items: list[ItemOut | Tombstone] = []
    if updated_since is None:
        before = _uuid(decode_cursor(cursor, 1)[0]) if cursor else None
        rows = await repository.page(
            session, principal, kind=kind, state=state, before_id=before, limit=limit
        )
        items = [render_row(row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items=items, next_cursor=encode_cursor(rows[limit - 1].id) if more else None)
    after = None
    if cursor:
        time, last_id = decode_cursor(cursor, 2)
        after = (_time(time), _uuid(last_id))
    # What changed for the caller, and what left the caller's inbox when its account moved:
    # each read up to one past the page, in the same order, merged.
    found: list[tuple[datetime, uuid.UUID, ItemOut | Tombstone]] = []
    changes = await repository.changed_since(session, principal, updated_since, after, limit)
    for item, receipt, changed_at in changes:
        if item.deleted_at is not None:
            found.append((changed_at, item.id, Tombstone(id=item.id, updated_at=changed_at)))
        else:
            found.append((changed_at, item.id, render(item, receipt)))
    departures = await repository.departed_since(session, principal, updated_since, after, limit)
    for item_id, departed_at in departures:
        found.append((departed_at, item_id, Tombstone(id=item_id, updated_at=departed_at)))
    found.sort(key=lambda change: (change[0], change[1]))
    items = [change for _, _, change in found[:limit]]
    last = found[limit - 1] if len(found) > limit else None
    next_cursor = encode_cursor(last[0].isoformat(), last[1]) if last else None
    return Page(items=items, next_cursor=next_cursor)


def _invalid_cursor() -> Problem:
    return Problem("The cursor is not valid for this list.", status=400, slug="invalid-cursor")


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise _invalid_cursor() from exc


def _time(value: str) -> datetime:
    try:
        time = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _invalid_cursor() from exc
    if not plausible_datetime(time):
        raise _invalid_cursor()
    return time
