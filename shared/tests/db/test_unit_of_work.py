"""The request is the unit of work (``DbSession``, opened and closed by its ``ServiceRoute``):
committed before the answer is sent, rolled back when anything failed."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.util import await_
from tread_notes.notes.models import Note

from tread_shared.db.engine import Database
from tread_shared.db.session import DbSession
from tread_shared.testing.http import Caller, assert_problem

DRAFT = {"title": "Winter stock check", "body": "Count the 205/55 R16 before Friday."}


async def _titles(notes: httpx.AsyncClient, caller: Caller) -> list[str]:
    listed = await notes.get("/v1/notes", headers=caller.headers)
    assert listed.status_code == 200, listed.text
    return [item["title"] for item in listed.json()["items"]]


async def test_a_write_is_kept_and_one_that_fails_leaves_nothing(
    notes: httpx.AsyncClient, notes_app: FastAPI, author: Caller
) -> None:
    assert (await notes.post("/v1/notes", json=DRAFT, headers=author.headers)).status_code == 201

    # The route wrote its note, then raised: the note goes with the request.
    notes_app.state.flaky_failures = 1
    failed = await notes.post("/v1/probes/flaky-notes", json=DRAFT, headers=author.headers)

    assert_problem(failed, 500, "internal-error")
    assert await _titles(notes, author) == [DRAFT["title"]]


async def test_a_commit_that_fails_is_the_answer_not_a_success(
    notes: httpx.AsyncClient, author: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    def commit_fails(self: Session) -> None:
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as patched:
        patched.setattr(Session, "commit", commit_fails)
        answer = await notes.post("/v1/notes", json=DRAFT, headers=author.headers)

    assert_problem(answer, 500, "internal-error")
    assert await _titles(notes, author) == []


async def test_a_unit_of_work_cancelled_while_committing_still_commits_and_gives_back(
    notes_app: FastAPI, notes: httpx.AsyncClient, author: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit and the close are one trip that runs to completion: a task cancelled
    meanwhile (a shutdown, a timeout) is told so only once its connection is given back."""
    # A pool of its own, which nothing else (the app's relay) takes connections from.
    db = Database(notes_app.state.db.url)
    committing = asyncio.Event()
    commit = Session.commit

    def slow_commit(self: Session) -> None:
        committing.set()
        await_(asyncio.sleep(0.2))
        commit(self)

    async def write() -> None:
        async with db.unit_of_work() as session:
            session.add(Note(title="Cancelled late", body="", pinned=False, owner=author.sub))

    try:
        with monkeypatch.context() as patched:
            patched.setattr(Session, "commit", slow_commit)
            task = asyncio.create_task(write())
            await asyncio.wait_for(committing.wait(), timeout=5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        assert db.engine.sync_engine.pool.checkedout() == 0
        async with db.reading() as connection:
            assert await connection.scalar(select(func.count()).select_from(Note)) == 1
    finally:
        await db.dispose()


async def test_a_session_outside_a_service_route_is_refused_by_name() -> None:
    router = APIRouter()

    @router.get("/plain")
    async def plain(session: DbSession) -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)  # not include_flat: a plain APIRoute
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        with pytest.raises(RuntimeError, match="/plain: DbSession needs a ServiceRoute"):
            await client.get("/plain")
