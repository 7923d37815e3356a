"""Who is calling: the identity and scope carried by the token."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ACCOUNT_MANAGER = "account_manager"
    KEY_ACCOUNT_MANAGER = "key_account_manager"
    DISTRICT_MANAGER = "district_manager"
    CENTRAL = "central"
    ADMIN = "admin"
    INTEGRATION = "integration"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: ``sub``, ``name``, ``roles`` and ``territories`` claims."""

    sub: str
    name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    territories: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def reads_everything(self) -> bool:
        """Central office and operators read every account."""
        return self.has_role(Role.ADMIN, Role.CENTRAL)
