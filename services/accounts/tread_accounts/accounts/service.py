"""The portfolio's rules: who may create, change, move and delete an account, and what follows.

Dealer groups are one level deep: a group is a dealer account without a group of its own, and
an account that heads a group cannot join another. A member's effective key account manager is
its own, else its group's; changing a group's moves its members' with it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.access import may_change, may_see, visible_accounts
from tread_accounts.accounts import repository
from tread_accounts.accounts.events import record_account_event
from tread_accounts.accounts.models import Account, AccountAssignment
from tread_accounts.accounts.schemas import (
    AccountCreate,
    AccountFilters,
    AccountPatch,
    TransferRequest,
)
from tread_shared.auth.principal import Principal, Role
from tread_shared.clock import utcnow
from tread_shared.db.concurrency import flush_changes
from tread_shared.db.listing import Listed
from tread_shared.db.new_rows import insert_new
from tread_shared.db.reading import Reader
from tread_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.accounts import (
    AccountClosed,
    AccountCreated,
    AccountDeleted,
    AccountReassigned,
    AccountUpdated,
)
from tread_shared.http.pagination import PageParams
from tread_shared.ids import new_id

CREATORS = (Role.ACCOUNT_MANAGER, Role.DISTRICT_MANAGER, Role.ADMIN)
# Who may say where an account belongs: its territory, its key account manager, its owner.
ASSIGNERS = (Role.DISTRICT_MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class Holders:
    """Who holds an account: the fields the scope rule reads."""

    owner_id: str
    territory: str
    key_account_manager_id: str | None

    @classmethod
    def of(cls, account: Account) -> Holders:
        return cls(account.owner_id, account.territory, account.key_account_manager_id)


async def account_of(
    session: AsyncSession,
    principal: Principal,
    account_id: uuid.UUID,
    *,
    change: bool = False,
    missing: str | None = None,
) -> Account:
    """The live account if ``principal`` may see it (404 ``missing`` otherwise) and, with
    ``change``, change it (403 when they may only read it)."""
    account = await repository.get_live(session, account_id)
    if account is None or not may_see(principal, account):
        raise NotFound(missing or f"No account {account_id}.")
    if change and not may_change(principal, account):
        raise Forbidden("You may read this account but not change it.")
    return account


class OfAnAccount(Protocol):
    account_id: uuid.UUID


Item = TypeVar("Item", bound=OfAnAccount)


async def in_account_scope(
    session: AsyncSession,
    principal: Principal,
    item: Item | None,
    *,
    missing: str,
    change: bool = False,
) -> tuple[Item, Account]:
    """A contact, activity or case (``None``: not found) and its account, if ``principal`` may
    see the account (404 ``missing`` otherwise) and, with ``change``, change it (403)."""
    if item is None:
        raise NotFound(missing)
    account = await account_of(session, principal, item.account_id, change=change, missing=missing)
    return item, account


async def readable_account(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID
) -> Account:
    return await account_of(session, principal, account_id)


async def account_to_render(reads: Reader, principal: Principal, account_id: uuid.UUID) -> Account:
    """``readable_account`` for a route that only renders it: the row, read without an ORM
    session (``Reader.live``); it reads like the entity and is not to be changed."""
    row = await reads.live(Account, account_id)
    if row is None or not may_see(principal, cast(Account, row)):
        raise NotFound(f"No account {account_id}.")
    return cast(Account, row)


async def changeable_account(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID
) -> Account:
    return await account_of(session, principal, account_id, change=True)


def refuse_fields(fields: Sequence[str], role_hint: str) -> None:
    if fields:
        raise Unprocessable(
            f"Your role may not set {', '.join(fields)}: {role_hint}",
            slug="field-not-allowed",
            fields=list(fields),
        )


def _billing_number_refused() -> Unprocessable:
    # Says nothing of another account: the caller may not know it exists (docs/architecture.md,
    # Authorisation).
    return Unprocessable(
        "This billing number cannot be given to this account; check it, or ask a district"
        " manager or an admin.",
        slug="erp-customer-id-refused",
        fields=["erp_customer_id"],
    )


async def _ensure_billing_number_free(
    session: AsyncSession,
    principal: Principal,
    erp_customer_id: str | None,
    account_id: uuid.UUID | None = None,
) -> None:
    if erp_customer_id is None:
        return
    holder = await repository.live_by_erp_customer_id(session, erp_customer_id)
    if holder is None or holder.id == account_id:
        return
    if not may_see(principal, holder):
        raise _billing_number_refused()
    raise Conflict(
        f"Another account already has the billing number {erp_customer_id}.",
        slug="duplicate-erp-customer-id",
        account_id=str(holder.id),
    )


async def _save(session: AsyncSession, new: Account | None = None) -> None:
    """Write the changes, or the ``new`` account. A new account without a billing number (the
    one unique value) or a group (the one reference) cannot be refused by the database, so it
    may go with the request's last statement (``insert_new``'s ``hold``)."""
    try:
        if new is None:
            await flush_changes(session)
        else:
            free = new.erp_customer_id is None and new.parent_id is None
            await insert_new(session, new, hold=free)
    except IntegrityError as exc:
        # Two requests raced past the check above with one billing number.
        raise _billing_number_refused() from exc


async def _group_for(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID | None, group_id: uuid.UUID
) -> Account:
    group = await repository.get_live(session, group_id)
    if group is None or not may_see(principal, group):
        raise Unprocessable(f"No dealer group {group_id}.", slug="unknown-group")
    problem = None
    if group.id == account_id:
        problem = "An account cannot be its own group."
    elif group.kind != "dealer":
        problem = "A group is a dealer account."
    elif group.parent_id is not None:
        problem = "Groups are one level deep: this dealer already belongs to a group."
    elif account_id is not None and await repository.has_members(session, account_id):
        problem = "This account heads a group, so it cannot join another."
    if problem:
        raise Unprocessable(problem, slug="invalid-group")
    return group


def _record_assignment(
    session: AsyncSession,
    account: Account,
    before: Holders,
    *,
    kind: str,
    reason: str,
    changed_by: str,
) -> None:
    if Holders.of(account) == before:
        return
    session.add(
        AccountAssignment(
            account_id=account.id,
            kind=kind,
            previous_owner_id=before.owner_id,
            owner_id=account.owner_id,
            previous_territory=before.territory,
            territory=account.territory,
            previous_key_account_manager_id=before.key_account_manager_id,
            key_account_manager_id=account.key_account_manager_id,
            reason=reason,
            changed_by=changed_by,
            changed_at=utcnow(),
        )
    )


def _ensure_still_theirs(principal: Principal, account: Account) -> None:
    if not may_change(principal, account):
        raise Unprocessable(
            "The account would be outside your scope (owner, territory or key account).",
            slug="outside-scope",
        )


async def create_account(
    session: AsyncSession, outbox: Outbox, principal: Principal, data: AccountCreate
) -> Account:
    if not principal.has_role(*CREATORS):
        raise Forbidden("Account managers, district managers and admins create accounts.")
    refused = []
    if data.owner_id not in (None, principal.sub) and not principal.has_role(*ASSIGNERS):
        refused.append("owner_id")
    if data.key_account_manager_id is not None and not principal.has_role(*ASSIGNERS):
        refused.append("key_account_manager_id")
    if not principal.has_role(*ASSIGNERS) and data.territory not in principal.territories:
        # As on a change: an account manager does not decide where an account belongs.
        refused.append("territory")
    refuse_fields(refused, "an account manager's accounts are their own, in their territories.")
    await _ensure_billing_number_free(session, principal, data.erp_customer_id)
    group = await _group_for(session, principal, None, data.parent_id) if data.parent_id else None
    account = Account(
        id=new_id(),
        kind=data.kind,
        name=data.name,
        legal_id=data.legal_id,
        erp_customer_id=data.erp_customer_id,
        territory=data.territory,
        owner_id=data.owner_id or principal.sub,
        own_key_account_manager_id=data.key_account_manager_id,
        key_account_manager_id=data.key_account_manager_id
        or (group.key_account_manager_id if group else None),
        status=data.status,
        parent_id=data.parent_id,
        segment=data.segment,
        channels=list(data.channels),
        addresses=[address.model_dump(mode="json") for address in data.addresses],
    )
    _ensure_still_theirs(principal, account)
    await _save(session, new=account)
    await record_account_event(session, outbox, AccountCreated, account)
    return account


def _requested_changes(patch: AccountPatch) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in patch.model_fields_set:
        value = getattr(patch, name)
        if name == "addresses":
            value = [address.model_dump(mode="json") for address in value]
        elif name == "channels":
            value = list(value)
        changes["own_key_account_manager_id" if name == "key_account_manager_id" else name] = value
    return changes


async def update_account(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    account: Account,
    patch: AccountPatch,
) -> Account:
    changes = _requested_changes(patch)
    if not principal.has_role(*ASSIGNERS):
        refused = [
            n for n in ("territory", "key_account_manager_id") if n in patch.model_fields_set
        ]
        refuse_fields(refused, "a district manager or an admin decides where an account belongs.")
    changes = {name: v for name, v in changes.items() if getattr(account, name) != v}
    if not changes:
        return account
    if "erp_customer_id" in changes:
        await _ensure_billing_number_free(
            session, principal, changes["erp_customer_id"], account.id
        )
    if changes.get("kind", "dealer") != "dealer" and await repository.has_members(
        session, account.id
    ):
        raise Unprocessable(
            "This account heads a dealer group: it stays a dealer.", slug="invalid-group"
        )
    if "parent_id" in changes:
        group_id = changes["parent_id"]
        group = await _group_for(session, principal, account.id, group_id) if group_id else None
    else:
        group = await repository.get(session, account.parent_id) if account.parent_id else None
    before = Holders.of(account)
    for name, value in changes.items():
        setattr(account, name, value)
    account.key_account_manager_id = account.own_key_account_manager_id or (
        group.key_account_manager_id if group else None
    )
    _ensure_still_theirs(principal, account)
    kind = "territory_change" if "territory" in changes else "key_account_change"
    _record_assignment(
        session, account, before, kind=kind, reason="details changed", changed_by=principal.sub
    )
    await _save(session)
    changed = sorted(
        "key_account_manager_id" if name == "own_key_account_manager_id" else name
        for name in changes
    )
    await record_account_event(session, outbox, AccountUpdated, account, changed_fields=changed)
    if changes.get("status") == "closed":
        await record_account_event(session, outbox, AccountClosed, account)
    if "own_key_account_manager_id" in changes:
        await _follow_group(session, outbox, principal, account)
    return account


async def _follow_group(
    session: AsyncSession, outbox: Outbox, principal: Principal, group: Account
) -> None:
    """Members without a key account manager of their own follow their group's."""
    for member in await repository.group_members(session, group.id):
        inherited = member.own_key_account_manager_id or group.key_account_manager_id
        if group.deleted_at is not None:
            member.parent_id = None
            inherited = member.own_key_account_manager_id
        changed = ["parent_id"] if group.deleted_at is not None else []
        before = Holders.of(member)
        if member.key_account_manager_id != inherited:
            member.key_account_manager_id = inherited
            changed.append("key_account_manager_id")
        if not changed:
            continue
        _record_assignment(
            session,
            member,
            before,
            kind="key_account_change",
            reason=f"group {group.id} changed",
            changed_by=principal.sub,
        )
        await record_account_event(session, outbox, AccountUpdated, member, changed_fields=changed)


async def transfer_account(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    account: Account,
    request: TransferRequest,
) -> Account:
    district_manager = (
        principal.has_role(Role.DISTRICT_MANAGER) and account.territory in principal.territories
    )
    if not (principal.is_admin or district_manager):
        raise Forbidden("A district manager of the account's territory or an admin moves it.")
    if request.owner_id == account.owner_id:
        raise Unprocessable(f"{request.owner_id} already owns this account.", slug="same-owner")
    before = Holders.of(account)
    account.owner_id = request.owner_id
    _record_assignment(
        session, account, before, kind="transfer", reason=request.reason, changed_by=principal.sub
    )
    await record_account_event(
        session,
        outbox,
        AccountReassigned,
        account,
        previous_owner_id=before.owner_id,
        reason=request.reason,
        reassigned_by=principal.sub,
    )
    return account


async def delete_account(
    session: AsyncSession, outbox: Outbox, principal: Principal, account: Account
) -> None:
    """Soft delete: offline clients get a tombstone; the members of a group leave it."""
    account.deleted_at = utcnow()
    await record_account_event(session, outbox, AccountDeleted, account)
    await _follow_group(session, outbox, principal, account)


async def list_changed_accounts(
    session: AsyncSession,
    principal: Principal,
    filters: AccountFilters,
    page: PageParams,
    updated_since: datetime,
) -> Listed[Account]:
    """Accounts in scope changed since ``updated_since``, and those deleted or gone out of
    scope since (to be shown as tombstones: see :func:`shows_as_tombstone`); the live list is
    :func:`list_live_accounts`."""
    left_scope = repository.left_scope_since(principal, updated_since)
    return await repository.list_accounts(
        session, visible_accounts(principal), filters, page, updated_since, left_scope
    )


async def list_live_accounts(
    reads: Reader, principal: Principal, filters: AccountFilters, page: PageParams
) -> Listed[Account]:
    """The live accounts in scope, filtered, as rows (they read like entities; not to be
    changed): a statement built once per shape of the request (the repository's)."""
    return await repository.list_live_accounts(reads, principal, filters, page)


def shows_as_tombstone(principal: Principal, account: Account) -> bool:
    return account.deleted_at is not None or not may_see(principal, account)


async def assignment_history(session: AsyncSession, account: Account) -> list[AccountAssignment]:
    return list(await repository.assignments(session, account.id))
