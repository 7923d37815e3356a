"""Authorisation from the local directory: a partnership is visible to whoever sees its account.

Scope is always computed from the directory, never copied onto contracts or offers, so that when
an account moves to another account manager its partnership moves with it."""

from __future__ import annotations

import uuid
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.directory.models import AccountDirectory
from tread_shared.auth.principal import Principal
from tread_shared.directory.handlers import visible_account
from tread_shared.errors import NotFound, Unprocessable


async def require_visible(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID, missing: str
) -> AccountDirectory:
    """The account of a resource named in the path; 404 ``missing`` when out of scope."""
    try:
        entry = await visible_account(session, AccountDirectory, principal, account_id)
    except NotFound:
        raise NotFound(missing) from None
    assert isinstance(entry, AccountDirectory)
    return entry


class OfAnAccount(Protocol):
    account_id: Any


R = TypeVar("R", bound=OfAnAccount)


async def in_scope(
    session: AsyncSession, principal: Principal, model: type[R], entity_id: uuid.UUID, what: str
) -> R:
    """The ``model`` row ``entity_id`` if ``principal`` sees its account; 404 otherwise, the
    same whether it does not exist or is out of scope."""
    row = await session.get(model, entity_id)
    missing = f"No {what} {entity_id}."
    if row is None:
        raise NotFound(missing)
    await require_visible(session, principal, row.account_id, missing)
    return row


async def account_for_new_work(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID
) -> AccountDirectory:
    """The account named in a request body: 422 when unknown to the caller or closed."""
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
