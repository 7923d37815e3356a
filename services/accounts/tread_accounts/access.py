"""Who may do what with an account, on top of the shared scope rule
(:mod:`tread_shared.auth.scope`, the one every service applies):

- **read** an account and what hangs off it: the scope rule (admin and central: everything;
  district manager: their territories; key account manager: their key accounts, own or group's;
  account manager: the accounts they own). Outside it: 404, in lists too.
- **change** it (details, contacts, qualification, activities, cases): the same rule without
  central's read-everything. Central reads, and works the cases assigned to them (cases/).
- **integration**: no account at all, only the webhooks: 403 on every other route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy import ColumnElement

from tread_accounts.accounts.models import Account
from tread_shared.auth.dependencies import require_roles
from tread_shared.auth.principal import Principal, Role
from tread_shared.auth.scope import account_scope_clause, can_see_account

PORTFOLIO_ROLES = (
    Role.ACCOUNT_MANAGER,
    Role.KEY_ACCOUNT_MANAGER,
    Role.DISTRICT_MANAGER,
    Role.CENTRAL,
    Role.ADMIN,
)

PortfolioCaller = Annotated[Principal, Depends(require_roles(*PORTFOLIO_ROLES))]
"""Anyone who works with accounts: every role but ``integration``."""


def may_see(principal: Principal, account: Account) -> bool:
    return can_see_account(
        principal,
        owner_id=account.owner_id,
        territory=account.territory,
        key_account_manager_id=account.key_account_manager_id,
    )


def as_writer(principal: Principal) -> Principal:
    """The caller without central's right to read everything: what they may change."""
    return Principal(
        sub=principal.sub,
        name=principal.name,
        roles=principal.roles - {Role.CENTRAL},
        territories=principal.territories,
    )


def may_change(principal: Principal, account: Account) -> bool:
    return may_see(as_writer(principal), account)


def visible_accounts(principal: Principal) -> ColumnElement[bool]:
    """SQL: the accounts ``principal`` may see."""
    return account_scope_clause(
        principal,
        owner_id=Account.owner_id,
        territory=Account.territory,
        key_account_manager_id=Account.key_account_manager_id,
    )
