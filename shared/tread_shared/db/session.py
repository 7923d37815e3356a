"""The request is the unit of work: ``DbSession`` commits once, after the route returns and
before the answer is sent, or rolls back if anything failed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from tread_shared.db.engine import Database
from tread_shared.http.idempotency import CLAIM_STATE, Claim, look_up_answer


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    claim: Claim | None = getattr(request.state, CLAIM_STATE, None)
    if claim is None:
        async with db.unit_of_work() as session:
            yield session
        return
    # A POST with an Idempotency-Key: the middleware commits, with the answer stored in the
    # same transaction (tread_shared.http.idempotency).
    session = await claim.open(db)  # already open if take_idempotency_key opened it
    try:
        yield session
    except BaseException:
        claim.failed = True
        raise


# scope="function": the commit happens before the response is sent, so a failed commit is
# the client's error answer rather than a success followed by lost data.
DbSession = Annotated[AsyncSession, Depends(request_session, scope="function")]


async def take_idempotency_key(request: Request) -> None:
    """The first dependency of every POST route of a service (``include_flat`` puts it there):
    a keyed request's stored answer is looked for before anything of the route runs.

    A route that takes ``DbSession`` opens its unit of work here, and the claim (the key's lock
    and row, one round trip on PostgreSQL) finds a stored answer: the middleware's look-up
    before the route would read the same row a round trip earlier. Any other route has that
    look-up here. Either way a stored answer stops the route before its first effect and is
    replayed (:class:`~tread_shared.http.idempotency.IdempotencyMiddleware`)."""
    claim: Claim | None = getattr(request.state, CLAIM_STATE, None)
    if claim is None:
        return
    db: Database = request.app.state.db
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and _opens_a_session(route):
        await claim.open(db)
    else:
        await look_up_answer(db, claim)


# Where a route keeps whether it takes DbSession, worked out on its first keyed request (a
# route is not hashable: no dictionary of routes).
_OPENS_A_SESSION = "_tread_opens_a_session"


def _opens_a_session(route: APIRoute) -> bool:
    known: bool | None = getattr(route, _OPENS_A_SESSION, None)
    if known is None:
        known = _depends_on_session(route.dependant)
        setattr(route, _OPENS_A_SESSION, known)
    return known


def _depends_on_session(dependant: Any) -> bool:
    return any(
        sub.call is request_session or _depends_on_session(sub) for sub in dependant.dependencies
    )
