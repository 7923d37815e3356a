"""Who may do what, by role. Central owns the catalogue, the price books and what the field is
told (validated arguments); the field records what it sees in its territories."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from tread_shared.auth.dependencies import require_roles
from tread_shared.auth.principal import Principal, Role

FIELD_ROLES = (Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER, Role.DISTRICT_MANAGER)

# Read the catalogue, arguments, observations, positioning: everyone in the business.
Staff = Annotated[Principal, Depends(require_roles(*FIELD_ROLES, Role.CENTRAL, Role.ADMIN))]
# Manage the catalogue, price books, competitor products; validate and retire arguments.
CatalogueOwner = Annotated[Principal, Depends(require_roles(Role.CENTRAL, Role.ADMIN))]
# Write and submit selling arguments: central and the field's managers.
ArgumentAuthor = Annotated[
    Principal,
    Depends(
        require_roles(Role.KEY_ACCOUNT_MANAGER, Role.DISTRICT_MANAGER, Role.CENTRAL, Role.ADMIN)
    ),
]
# Record observations: the field in its territories (central and admins anywhere).
Observer = Staff
