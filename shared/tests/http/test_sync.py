"""Offline sync: ``updated_since`` lists every change in the order it happened, deletions as
tombstones; plain lists never show deleted items."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tread_shared.testing.http import Caller, assert_problem

WriteNote = Callable[..., Awaitable[httpx.Response]]
EPOCH = "2000-01-01T00:00:00Z"


async def _list(notes: httpx.AsyncClient, caller: Caller, **params: Any) -> dict[str, Any]:
    response = await notes.get("/v1/notes", params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _history(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> dict[str, Any]:
    """Written a, b, c; then b changed; then a deleted. Returns the notes by title."""
    written = {title: await write_note(author, title=title) for title in ("a", "b", "c")}
    b = written["b"]
    changed = await notes.patch(
        b.headers["location"],
        json={"body": "recounted"},
        headers=author.with_(**{"If-Match": b.headers["etag"]}),
    )
    assert changed.status_code == 200
    a = written["a"]
    deleted = await notes.delete(
        a.headers["location"], headers=author.with_(**{"If-Match": a.headers["etag"]})
    )
    assert deleted.status_code == 204
    return {title: response.json() for title, response in written.items()}


async def test_changes_come_in_the_order_they_happened_with_deletions_as_tombstones(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    written = await _history(notes, write_note, author)

    changes = (await _list(notes, author, updated_since=EPOCH))["items"]

    assert [item["id"] for item in changes] == [written[t]["id"] for t in ("c", "b", "a")]
    assert changes[1]["body"] == "recounted"
    tombstone = changes[2]
    assert set(tombstone) == {"id", "deleted", "updated_at"}
    assert tombstone["deleted"] is True
    assert tombstone["updated_at"] > changes[1]["updated_at"] > changes[0]["updated_at"]


async def test_a_deleted_note_is_absent_from_the_plain_list(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    written = await _history(notes, write_note, author)

    items = (await _list(notes, author))["items"]

    assert [item["id"] for item in items] == [written["b"]["id"], written["c"]["id"]]
    assert all("deleted" not in item for item in items)


async def test_syncing_from_the_last_change_seen_returns_only_what_changed_since(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    first = await write_note(author, title="a")
    first_sync = (await _list(notes, author, updated_since=EPOCH))["items"]
    last_seen = first_sync[-1]["updated_at"]
    second = await write_note(author, title="b")

    since = (await _list(notes, author, updated_since=last_seen))["items"]

    # Inclusive: the last item seen may come again; the client's upsert absorbs it.
    assert [item["id"] for item in since] == [first.json()["id"], second.json()["id"]]


async def test_sync_pages_follow_the_change_order(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    written = await _history(notes, write_note, author)

    seen: list[str] = []
    body = await _list(notes, author, updated_since=EPOCH, limit=1)
    seen += [item["id"] for item in body["items"]]
    while body["next_cursor"]:
        body = await _list(notes, author, updated_since=EPOCH, limit=1, cursor=body["next_cursor"])
        seen += [item["id"] for item in body["items"]]

    assert seen == [written[t]["id"] for t in ("c", "b", "a")]


async def test_someone_else_s_changes_are_not_synced(
    notes: httpx.AsyncClient, write_note: WriteNote, make_caller: Callable[..., Caller]
) -> None:
    anna, ben = make_caller("account_manager"), make_caller("account_manager")
    await write_note(anna, title="Anna's")

    assert (await _list(notes, ben, updated_since=EPOCH))["items"] == []


@pytest.mark.parametrize(
    "since",
    [
        "2026-11-27T10:00:00",
        "yesterday",
        "2026-13-01T00:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "1899-12-31T23:59:59Z",
        "-100000000000",
        "1764237600",
        "2e-09",
    ],
)
async def test_updated_since_without_an_offset_or_not_a_time_is_a_422(
    notes: httpx.AsyncClient, author: Caller, since: str
) -> None:
    response = await notes.get("/v1/notes", params={"updated_since": since}, headers=author.headers)

    problem = assert_problem(response, 422, "validation-error")
    assert [error["location"] for error in problem["errors"]] == [["query", "updated_since"]]
