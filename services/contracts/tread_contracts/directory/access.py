"""Who may do what, by role; which accounts they may do it on is the directory's scope rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from tread_shared.auth.dependencies import require_roles
from tread_shared.auth.principal import Principal, Role

# Read partnerships (within scope): everyone in the business; integrations have no business here.
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
# Work on an account's partnership (offers, contracts, audits, requests): central only reads.
PortfolioWorker = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER, Role.DISTRICT_MANAGER, Role.ADMIN
        )
    ),
]
# Sign for the manufacturer, terminate an active contract.
Manager = Annotated[
    Principal,
    Depends(require_roles(Role.KEY_ACCOUNT_MANAGER, Role.DISTRICT_MANAGER, Role.ADMIN)),
]
DistrictManager = Annotated[Principal, Depends(require_roles(Role.DISTRICT_MANAGER, Role.ADMIN))]
KeyAccountManager = Annotated[
    Principal, Depends(require_roles(Role.KEY_ACCOUNT_MANAGER, Role.ADMIN))
]
ProgramOwner = Annotated[Principal, Depends(require_roles(Role.CENTRAL, Role.ADMIN))]
