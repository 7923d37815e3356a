"""FastAPI dependencies: ``CurrentPrincipal`` and role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from tread_shared.auth.principal import Principal
from tread_shared.auth.tokens import TokenVerifier
from tread_shared.errors import Forbidden, Unauthorized


async def authenticate(request: Request) -> Principal:
    """The caller, from ``Authorization: Bearer <JWT>``; 401 when missing or refused."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("A bearer token is required.")
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(token.strip())
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require_roles(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting callers with any of ``roles`` (403 otherwise)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(*roles):
            raise Forbidden(f"This needs one of the roles: {', '.join(sorted(roles))}.")
        return principal

    return check
