from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from tread_contracts.directory.models import AccountDirectory
from tread_shared.auth.principal import Principal
from tread_shared.directory.handlers import scope_clause

T = TypeVar("T")


def within_scope(
    query: Select[T], principal: Principal, account_id: InstrumentedAttribute[uuid.UUID]
) -> Select[T]:
    """``query`` narrowed to rows whose account ``principal`` may see (live accounts only)."""
    return query.join(AccountDirectory, AccountDirectory.account_id == account_id).where(
        scope_clause(principal, AccountDirectory), AccountDirectory.deleted.is_(False)
    )
