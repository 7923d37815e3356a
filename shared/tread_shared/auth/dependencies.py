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

AUTHENTICATES = "tread_authenticates"
"""Set on a dependency that calls :func:`authenticate` itself (for the OpenAPI document)."""


def require_roles(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency admitting callers with any of ``roles`` (403 otherwise); it authenticates
    them itself (one dependency, not two: FastAPI solves each level on every request)."""

    async def check(request: Request) -> Principal:
        principal = await authenticate(request)
        if not principal.has_role(*roles):
            raise Forbidden(f"This needs one of the roles: {', '.join(sorted(roles))}.")
        return principal

    setattr(check, AUTHENTICATES, True)
    return check
