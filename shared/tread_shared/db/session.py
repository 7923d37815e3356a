"""The request is the unit of work: ``DbSession`` commits once, after the route returns and
before the answer is sent, or rolls back if anything failed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
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
    session = await claim.open(db)  # already open if KeyFirstRoute opened it
    try:
        yield session
    except BaseException:
        claim.failed = True
        raise


# scope="function": the commit happens before the response is sent, so a failed commit is
# the client's error answer rather than a success followed by lost data.
DbSession = Annotated[AsyncSession, Depends(request_session, scope="function")]


class KeyFirstRoute(APIRoute):
    """A POST route whose handler looks for a keyed request's stored answer before anything of
    the route runs, body and dependencies included (``include_flat`` makes every POST route of
    a service one).

    A route that takes ``DbSession`` opens its unit of work first, and the claim (the key's lock
    and row, one round trip on PostgreSQL) finds a stored answer: the middleware's look-up
    before the app would read the same row a round trip earlier. Any other route has that
    look-up here. Either way a stored answer stops the route before its first effect and is
    replayed (:class:`~tread_shared.http.idempotency.IdempotencyMiddleware`). A request without
    a key pays one function call, not a dependency (35 us a POST)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        opens_a_session = _depends_on_session(self.dependant)

        async def take_the_key_first(request: Request) -> Response:
            claim: Claim | None = request.scope.get("state", {}).get(CLAIM_STATE)
            if claim is not None:
                db: Database = request.app.state.db
                if opens_a_session:
                    await claim.open(db)
                else:
                    await look_up_answer(db, claim)
            return await handler(request)

        return take_the_key_first


def _depends_on_session(dependant: Any) -> bool:
    return any(
        sub.call is request_session or _depends_on_session(sub) for sub in dependant.dependencies
    )
