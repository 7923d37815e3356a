"""The request is the unit of work: ``DbSession`` commits once, after the route returns and
before the answer is sent, or rolls back if anything failed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from tread_shared.db.engine import Database
from tread_shared.http.idempotency import CLAIM_STATE, Claim


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    claim: Claim | None = getattr(request.state, CLAIM_STATE, None)
    if claim is None:
        async with db.unit_of_work() as session:
            yield session
        return
    # A POST with an Idempotency-Key: the middleware commits, with the answer stored in the
    # same transaction (tread_shared.http.idempotency).
    session = await claim.open(db)
    try:
        yield session
    except BaseException:
        claim.failed = True
        raise


# scope="function": the commit happens before the response is sent, so a failed commit is
# the client's error answer rather than a success followed by lost data.
DbSession = Annotated[AsyncSession, Depends(request_session, scope="function")]
