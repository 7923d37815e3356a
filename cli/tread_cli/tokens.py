"""Development tokens, signed with the key pair under ``<var>/keys`` that ``tread up`` hands to
every service as its verification key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tread_shared.auth.dev_keys import ensure_dev_key_pair, mint_token
from tread_shared.auth.principal import Role
from tread_shared.settings import ServiceSettings

# The services' defaults, so a development token passes their checks unchanged.
ISSUER = ServiceSettings.model_fields["jwt_issuer"].default
AUDIENCE = ServiceSettings.model_fields["jwt_audience"].default
ROLES = tuple(role.value for role in Role)


# ``tread up``'s var dir when run from the repository (``make up``): where ``tread token`` run
# from anywhere else finds the running stack's keys.
REPOSITORY_VAR_DIR = Path(__file__).resolve().parents[2] / "var"


def key_dir(var_dir: Path) -> Path:
    return var_dir / "keys"


def stack_var_dir(var_dir: Path) -> tuple[Path | None, list[Path]]:
    """The var dir whose development keys the stack uses: ``var_dir``, else (for the default,
    relative ``var``) the repository's; ``None`` when neither has keys. Also where it looked.

    Never makes keys: a token signed by keys made on the spot is one the stack refuses."""
    looked = [var_dir.resolve()]
    if not var_dir.is_absolute() and REPOSITORY_VAR_DIR not in looked:
        looked.append(REPOSITORY_VAR_DIR)
    for candidate in looked:
        if (key_dir(candidate) / "dev-jwt-private.pem").exists():
            return candidate, looked
    return None, looked


def public_key_file(var_dir: Path) -> Path:
    """The verification key every service started by ``tread up`` trusts (created if missing)."""
    return ensure_dev_key_pair(key_dir(var_dir))[1]


def dev_token(
    var_dir: Path,
    *,
    sub: str,
    roles: Iterable[str],
    territories: Iterable[str] = (),
    name: str = "",
    ttl: timedelta = timedelta(hours=12),
) -> str:
    private_path, _ = ensure_dev_key_pair(key_dir(var_dir))
    return mint_token(
        private_path.read_text(),
        sub=sub,
        roles=roles,
        territories=territories,
        name=name,
        issuer=ISSUER,
        audience=AUDIENCE,
        ttl=ttl,
    )


@dataclass(frozen=True)
class DevUser:
    """A made-up colleague per role, for the tokens ``tread up`` prints."""

    role: str
    sub: str
    name: str
    territories: tuple[str, ...] = ()

    @property
    def env_name(self) -> str:
        return f"TREAD_TOKEN_{self.role.upper()}"


DEV_USERS: tuple[DevUser, ...] = (
    DevUser(Role.ACCOUNT_MANAGER, "am-lucas", "Lucas Martin", ("north", "east")),
    DevUser(Role.KEY_ACCOUNT_MANAGER, "kam-sofia", "Sofia Rossi"),
    DevUser(Role.DISTRICT_MANAGER, "ddm-claire", "Claire Dubois", ("north", "east")),
    DevUser(Role.CENTRAL, "central-ines", "Ines Moreau"),
    DevUser(Role.ADMIN, "ops-admin", "Operations"),
    DevUser(Role.INTEGRATION, "billing-system", "Billing system"),
)


def dev_user_tokens(var_dir: Path) -> dict[str, str]:
    """One token per role, keyed by role."""
    return {
        user.role: dev_token(
            var_dir, sub=user.sub, roles=[user.role], territories=user.territories, name=user.name
        )
        for user in DEV_USERS
    }


def write_token_env_file(var_dir: Path, tokens: dict[str, str]) -> Path:
    """``var/dev-tokens.env``: ``source`` it to get ``$TREAD_TOKEN_<ROLE>`` in a shell."""
    path = var_dir / "dev-tokens.env"
    lines = [f"export {user.env_name}='{tokens[user.role]}'" for user in DEV_USERS]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path
