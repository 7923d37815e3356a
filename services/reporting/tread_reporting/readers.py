"""Who may read reports: everyone in the business, each within their scope of accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from tread_shared.auth.dependencies import require_roles
from tread_shared.auth.principal import Principal, Role

Reader = Annotated[
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
CentralOffice = Annotated[Principal, Depends(require_roles(Role.CENTRAL, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
