"""Who sees which account, from reporting's directory (the rule of ``tread_shared.auth.scope``)."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.directory.models import AccountEntry
from tread_shared.auth.principal import Principal
from tread_shared.auth.scope import account_scope_clause, can_see_account
from tread_shared.errors import NotFound

T = TypeVar("T", bound=tuple[Any, ...])


def visible(principal: Principal, generation: int) -> ColumnElement[bool]:
    """The live accounts of ``generation`` that ``principal`` may see."""
    return and_(
        AccountEntry.generation == generation,
        AccountEntry.deleted.is_(False),
        account_scope_clause(
            principal,
            owner_id=AccountEntry.owner_id,
            territory=AccountEntry.territory,
            key_account_manager_id=AccountEntry.key_account_manager_id,
        ),
    )


def join_visible(
    query: Select[T], principal: Principal, generation: int, account_id: Any, generation_col: Any
) -> Select[T]:
    """``query`` narrowed to rows whose account ``principal`` may see."""
    return query.join(
        AccountEntry,
        and_(AccountEntry.generation == generation_col, AccountEntry.account_id == account_id),
    ).where(visible(principal, generation))


async def visible_account(
    session: AsyncSession, principal: Principal, generation: int, account_id: uuid.UUID
) -> AccountEntry:
    """The account if ``principal`` may see it; 404 otherwise (unknown here, deleted, or out of
    scope: the caller cannot tell which)."""
    entry = await session.get(AccountEntry, (generation, account_id))
    if (
        entry is None
        or entry.deleted
        or not can_see_account(
            principal,
            owner_id=entry.owner_id,
            territory=entry.territory,
            key_account_manager_id=entry.key_account_manager_id,
        )
    ):
        raise NotFound(f"No account {account_id}.")
    return entry
