"""``ETag`` on reads, ``If-Match`` on changes: no one's change is silently overwritten."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from tread_shared.testing.http import Caller, assert_problem

WriteNote = Callable[..., Awaitable[httpx.Response]]


def _if_match(caller: Caller, etag: str) -> dict[str, str]:
    return caller.with_(**{"If-Match": etag})


async def test_a_read_carries_the_etag_the_write_gave(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    created = await write_note(author)

    read = await notes.get(created.headers["location"], headers=author.headers)

    assert read.headers["etag"] == created.headers["etag"]
    assert read.headers["etag"].startswith('"') and read.headers["etag"].endswith('"')


async def test_a_change_without_if_match_is_a_428_and_changes_nothing(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    created = await write_note(author, title="Winter stock check")
    url = created.headers["location"]

    response = await notes.patch(url, json={"title": "Summer"}, headers=author.headers)

    assert_problem(response, 428, "precondition-required")
    read = await notes.get(url, headers=author.headers)
    assert read.json()["title"] == "Winter stock check"
    assert read.headers["etag"] == created.headers["etag"]


async def test_a_change_with_a_stale_etag_is_a_412_and_changes_nothing(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    created = await write_note(author, title="Winter stock check")
    url, first_etag = created.headers["location"], created.headers["etag"]
    changed = await notes.patch(url, json={"body": "Done"}, headers=_if_match(author, first_etag))
    assert changed.status_code == 200

    response = await notes.patch(
        url, json={"title": "Summer"}, headers=_if_match(author, first_etag)
    )

    problem = assert_problem(response, 412, "precondition-failed")
    assert problem["current_etag"] == changed.headers["etag"]
    read = await notes.get(url, headers=author.headers)
    assert (read.json()["title"], read.json()["body"]) == ("Winter stock check", "Done")


async def test_a_change_with_the_current_etag_succeeds_and_answers_the_new_one(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    created = await write_note(author)
    url = created.headers["location"]

    changed = await notes.patch(
        url, json={"title": "Summer"}, headers=_if_match(author, created.headers["etag"])
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Summer"
    assert changed.headers["etag"] != created.headers["etag"]
    read = await notes.get(url, headers=author.headers)
    assert read.headers["etag"] == changed.headers["etag"]
    assert read.json()["version"] == created.json()["version"] + 1


async def test_if_match_star_and_lists_of_tags_are_understood(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    created = await write_note(author)
    url = created.headers["location"]

    starred = await notes.patch(url, json={"title": "A"}, headers=_if_match(author, "*"))
    listed = await notes.patch(
        url, json={"title": "B"}, headers=_if_match(author, f'"old", {starred.headers["etag"]}')
    )

    assert (starred.status_code, listed.status_code) == (200, 200)


async def test_a_delete_needs_the_current_etag_too(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    created = await write_note(author)
    url = created.headers["location"]

    assert_problem(await notes.delete(url, headers=author.headers), 428)
    assert_problem(await notes.delete(url, headers=_if_match(author, '"stale"')), 412)
    assert (await notes.get(url, headers=author.headers)).status_code == 200

    deleted = await notes.delete(url, headers=_if_match(author, created.headers["etag"]))
    assert deleted.status_code == 204
    assert_problem(await notes.get(url, headers=author.headers), 404)


async def test_simultaneous_changes_from_one_version_let_exactly_one_through(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    """Both pass the If-Match check at once; the version column stops all but one: 412, not
    500, and no change is lost silently."""
    created = await write_note(author)
    url, etag = created.headers["location"], created.headers["etag"]

    answers = await asyncio.gather(
        *(
            notes.patch(url, json={"title": f"T{n}"}, headers=_if_match(author, etag))
            for n in range(5)
        )
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200, 412, 412, 412, 412], [a.text for a in answers]
    [winner] = [answer for answer in answers if answer.status_code == 200]
    read = await notes.get(url, headers=author.headers)
    assert read.json()["title"] == winner.json()["title"]
    assert read.json()["version"] == 2


async def test_a_weak_etag_never_matches_and_changes_nothing(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    """RFC 9110: If-Match compares strongly, so ``W/"…"`` never matches."""
    created = await write_note(author, title="Winter stock check")
    url, etag = created.headers["location"], created.headers["etag"]

    response = await notes.patch(
        url, json={"title": "Summer"}, headers=_if_match(author, f"W/{etag}")
    )

    assert_problem(response, 412, "precondition-failed")
    assert (await notes.get(url, headers=author.headers)).json()["title"] == "Winter stock check"
