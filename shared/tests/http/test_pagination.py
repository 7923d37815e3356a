"""Cursor pagination: bounded pages, every item exactly once, cursors that cannot be forged
into errors."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tread_shared.testing.http import Caller, assert_problem

WriteNote = Callable[..., Awaitable[httpx.Response]]


async def _page(
    notes: httpx.AsyncClient, caller: Caller, **params: Any
) -> tuple[list[str], str | None]:
    response = await notes.get("/v1/notes", params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return [item["title"] for item in body["items"]], body["next_cursor"]


@pytest.mark.parametrize("limit", [0, -1, 201])
async def test_a_limit_out_of_bounds_is_a_422(
    notes: httpx.AsyncClient, author: Caller, limit: int
) -> None:
    response = await notes.get("/v1/notes", params={"limit": limit}, headers=author.headers)

    problem = assert_problem(response, 422, "validation-error")
    assert [error["location"] for error in problem["errors"]] == [["query", "limit"]]


async def test_a_page_says_whether_another_follows(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    for title in ("a", "b"):
        await write_note(author, title=title)

    titles, cursor = await _page(notes, author, limit=1)
    assert titles == ["a"] and cursor is not None
    assert await _page(notes, author, limit=1, cursor=cursor) == (["b"], None)
    assert await _page(notes, author, limit=2) == (["a", "b"], None)  # exactly full: no more
    assert await _page(notes, author, limit=200) == (["a", "b"], None)


async def test_walking_every_page_gives_every_note_once_while_notes_are_added(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    written = [f"note {n:02d}" for n in range(7)]
    for title in written:
        await write_note(author, title=title)

    seen: list[str] = []
    titles, cursor = await _page(notes, author, limit=3)
    seen += titles
    while cursor is not None:
        added = f"note {len(written):02d}"
        await write_note(author, title=added)
        written.append(added)
        titles, cursor = await _page(notes, author, limit=3, cursor=cursor)
        seen += titles
        assert len(written) < 30, "the walk does not end"

    assert seen == written  # every one, once, oldest first


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",  # "not json"
        _b64({"id": "x"}),
        _b64(["id"]),
        _b64(["id", "not-a-uuid"]),
        _b64(["updated", "2026-11-27T10:00:00+00:00", "0190a8b4-0000-7000-8000-000000000000"]),
        _b64(["id", "0190a8b4-0000-7000-8000-000000000000", "extra"]),
        base64.urlsafe_b64encode(b"[" * 5_000 + b"]" * 5_000).decode(),
    ],
    ids=[
        "not-base64",
        "not-json",
        "not-a-list",
        "too-short",
        "not-a-uuid",
        "sync-cursor-on-a-plain-list",
        "too-long",
        "deeply-nested",
    ],
)
async def test_a_tampered_cursor_is_a_400_problem(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller, cursor: str
) -> None:
    await write_note(author)

    response = await notes.get("/v1/notes", params={"cursor": cursor}, headers=author.headers)

    assert_problem(response, 400, "invalid-cursor")


async def test_a_plain_cursor_on_a_sync_list_is_a_400_problem(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    for title in ("a", "b"):
        await write_note(author, title=title)
    _titles, cursor = await _page(notes, author, limit=1)

    response = await notes.get(
        "/v1/notes",
        params={"cursor": cursor, "updated_since": "2026-01-01T00:00:00Z"},
        headers=author.headers,
    )

    assert_problem(response, 400, "invalid-cursor")


@pytest.mark.parametrize(
    "cursor",
    [
        _b64(["updated", "0001-01-01T00:00:00+14:00", "0190a8b4-0000-7000-8000-000000000000"]),
        _b64(["updated", "9999-12-31T23:59:59-14:00", "0190a8b4-0000-7000-8000-000000000000"]),
    ],
    ids=["before-year-1", "after-year-9999"],
)
async def test_a_sync_cursor_with_an_impossible_time_is_a_400_problem(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller, cursor: str
) -> None:
    await write_note(author)

    response = await notes.get(
        "/v1/notes",
        params={"cursor": cursor, "updated_since": "2026-01-01T00:00:00Z"},
        headers=author.headers,
    )

    assert_problem(response, 400, "invalid-cursor")
