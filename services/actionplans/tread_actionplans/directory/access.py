"""Who may do what, by role; which plans they may do it on is the scope rule in ``service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from tread_shared.auth.dependencies import require_roles
from tread_shared.auth.principal import Principal, Role

# Read plans (within scope): everyone in the business; integrations have no business here.
Staff = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.ACCOUNT_MANAGER,
            Role.KEY_ACCOUNT_MANAGER,
            Role.DISTRICT_MANAGER,
            Role.CENTRAL,
            Role.ADMIN,
        )
    ),
]
# Work on plans (write, measure, analyse, request): central only reads.
PlanWorker = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER, Role.DISTRICT_MANAGER, Role.ADMIN
        )
    ),
]
# Approve plans and decide resource requests (within their territory or key accounts).
Approver = Annotated[
    Principal,
    Depends(require_roles(Role.KEY_ACCOUNT_MANAGER, Role.DISTRICT_MANAGER, Role.ADMIN)),
]
