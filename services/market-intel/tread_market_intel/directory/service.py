"""Scope from the local directory and the caller's territories."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.directory.models import AccountDirectory
from tread_shared.auth.principal import Principal
from tread_shared.directory.handlers import visible_account
from tread_shared.errors import NotFound, Unprocessable


def covers_territory(principal: Principal, territory: str) -> bool:
    """Whether ``principal`` works in ``territory`` (central and admins: everywhere)."""
    return principal.reads_everything or territory in principal.territories


async def account_named(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID
) -> AccountDirectory:
    """The account named in a request body: 422 when unknown to the caller."""
    try:
        entry = await visible_account(session, AccountDirectory, principal, account_id)
    except NotFound:
        raise Unprocessable(
            f"No account {account_id} in your portfolio.", slug="unknown-account"
        ) from None
    assert isinstance(entry, AccountDirectory)
    return entry
