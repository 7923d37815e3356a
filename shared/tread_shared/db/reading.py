"""``ReadSession``: a session for routes that only read.

It runs its statements without opening a transaction (PostgreSQL in autocommit; SQLite with a
deferred ``BEGIN``, which takes no write lock in WAL mode) and never commits: a GET costs its
queries' round trips and nothing more, and holds a pooled connection only while a query runs.
Each statement sees the database as of its own start; a route that needs several reads to agree
with each other, or writes anything, uses ``DbSession``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tread_shared.db.engine import READ_ONLY, Database

_ATTRIBUTE = "_tread_reading_engine"


def reading_engine(db: Database) -> AsyncEngine:
    """``db``'s engine set up for reading without a transaction (made once per database; it
    shares the engine's pool)."""
    engine: AsyncEngine | None = getattr(db, _ATTRIBUTE, None)
    if engine is None:
        if db.is_sqlite:
            engine = db.engine.execution_options(**{READ_ONLY: True})
        else:
            engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        setattr(db, _ATTRIBUTE, engine)
    return engine


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    # Its turn for a connection like a unit of work's (ConnectionQueue): the pool alone would
    # let some requests wait for seconds while later ones pass.
    async with (
        db.connections.place(),
        AsyncSession(reading_engine(db), expire_on_commit=False) as session,
    ):
        yield session


ReadSession = Annotated[AsyncSession, Depends(read_session)]
