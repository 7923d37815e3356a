"""The request is the unit of work (``DbSession``, opened and closed by its ``ServiceRoute``):
committed before the answer is sent, rolled back when anything failed."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

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
    async def commit_fails(self: AsyncSession) -> None:
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as patched:
        patched.setattr(AsyncSession, "commit", commit_fails)
        answer = await notes.post("/v1/notes", json=DRAFT, headers=author.headers)

    assert_problem(answer, 500, "internal-error")
    assert await _titles(notes, author) == []


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
