"""The request is the unit of work: ``DbSession`` commits once, after the route returns and
before the answer is sent, or rolls back if anything failed.

The unit of work is opened and closed by the route itself (:class:`ServiceRoute`, the class of
every route ``include_flat`` adds), around FastAPI's handler, and ``DbSession`` hands the open
session to the route. As a generator dependency (``Depends(…, scope="function")``) it cost every
write an exit stack, an async context manager and an anyio cancel scope shielding its exit: 6 %
of a keyed ``POST /v1/accounts``."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from tread_shared.db.engine import Database
from tread_shared.http.idempotency import CLAIM_STATE, Claim, look_up_answer
from tread_shared.http.route_handler import lean_app, lean_handler

# Where a ServiceRoute leaves the request's open session for ``DbSession``.
SESSION_SCOPE_KEY = "tread.session"


async def request_session(request: Request) -> AsyncSession:
    """The request's unit of work, opened by its :class:`ServiceRoute`."""
    session: AsyncSession | None = request.scope.get(SESSION_SCOPE_KEY)
    if session is None:
        raise RuntimeError(
            f"{request.url.path}: DbSession needs a ServiceRoute (routes added by include_flat)"
        )
    return session


DbSession = Annotated[AsyncSession, Depends(request_session)]


class ServiceRoute(APIRoute):
    """A route of a service (``include_flat`` makes every route one).

    A route that takes ``DbSession`` runs inside its unit of work: opened before FastAPI's
    handler (which solves the dependencies, then calls the endpoint and builds its answer),
    committed after it and before the answer is sent, so a failed commit is the client's error
    answer rather than a success followed by lost data; rolled back if anything raised.

    A keyed POST (``Idempotency-Key``) has its unit of work opened by its claim instead; the
    middleware commits it with the answer stored in the same transaction, whose INSERT finds a
    stored answer (:class:`~tread_shared.http.idempotency.IdempotencyMiddleware`: the effect is
    then rolled back and that answer replayed). A keyed POST without ``DbSession`` looks for a
    stored answer here, which stops the route before its first effect. A request without a key
    pays one function call. A route without ``DbSession``, other than a POST, is FastAPI's
    handler unchanged.

    A route that needs no more of FastAPI's handler than its dependencies, its parameters, a
    JSON body and a JSON answer (every route here) runs a handler worked out once instead
    (:mod:`tread_shared.http.route_handler`), inside the same unit of work."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lean = lean_handler(self)
        if lean is not None:
            self.app = lean_app(
                self._in_its_unit_of_work(lean), self.app, self.dependency_overrides_provider
            )

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return self._in_its_unit_of_work(super().get_route_handler())

    def _in_its_unit_of_work(
        self, handler: Callable[[Request], Coroutine[Any, Any, Response]]
    ) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        opens_a_session = _depends_on_session(self.dependant)
        takes_the_key = "POST" in (self.methods or ())
        if not opens_a_session and not takes_the_key:
            return handler

        async def in_its_unit_of_work(request: Request) -> Response:
            db: Database = request.app.state.db
            claim: Claim | None = (
                request.scope.get("state", {}).get(CLAIM_STATE) if takes_the_key else None
            )
            if claim is not None:
                if not opens_a_session:
                    await look_up_answer(db, claim)
                    return await handler(request)
                request.scope[SESSION_SCOPE_KEY] = await claim.open(db)
                try:
                    return await handler(request)
                except BaseException:
                    claim.failed = True
                    raise
            if not opens_a_session:
                return await handler(request)
            async with db.unit_of_work() as session:
                request.scope[SESSION_SCOPE_KEY] = session
                return await handler(request)

        return in_its_unit_of_work


def _depends_on_session(dependant: Any) -> bool:
    return any(
        sub.call is request_session or _depends_on_session(sub) for sub in dependant.dependencies
    )
