"""``Idempotency-Key``: a retried POST gets the first answer, never a second effect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert
from tread_notes import MIGRATIONS_DIR
from tread_notes.app import create_app
from tread_notes.settings import Settings as NotesSettings

from tread_shared.clock import utcnow
from tread_shared.db.platform_tables import idempotency_keys
from tread_shared.events.retention import purge_platform_rows
from tread_shared.http.idempotency import IdempotencyMiddleware
from tread_shared.testing.http import Caller, assert_problem
from tread_shared.testing.plugin import serve_in_process

DRAFT = {"title": "Winter stock check", "body": "Count the 205/55 R16 before Friday."}


def _keyed(caller: Caller, key: str) -> dict[str, str]:
    return caller.with_(**{"Idempotency-Key": key})


async def _titles(notes: httpx.AsyncClient, caller: Caller) -> list[str]:
    listed = await notes.get("/v1/notes", headers=caller.headers)
    return [item["title"] for item in listed.json()["items"]]


async def test_a_replay_answers_the_first_response_byte_for_byte_and_creates_nothing(
    notes: httpx.AsyncClient, author: Caller
) -> None:
    first = await notes.post("/v1/notes", json=DRAFT, headers=_keyed(author, "key-1"))
    replay = await notes.post("/v1/notes", json=DRAFT, headers=_keyed(author, "key-1"))

    assert first.status_code == replay.status_code == 201
    assert replay.content == first.content
    assert replay.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    for header in ("content-type", "etag", "location"):
        assert replay.headers[header] == first.headers[header]
    assert replay.headers["x-request-id"] != first.headers["x-request-id"]
    assert await _titles(notes, author) == [DRAFT["title"]]


async def test_without_a_key_a_retry_writes_again(notes: httpx.AsyncClient, author: Caller) -> None:
    """What the key protects against."""
    for _ in range(2):
        assert (
            await notes.post("/v1/notes", json=DRAFT, headers=author.headers)
        ).status_code == 201

    assert await _titles(notes, author) == [DRAFT["title"]] * 2


async def test_the_same_key_with_another_body_is_a_422_and_changes_nothing(
    notes: httpx.AsyncClient, author: Caller
) -> None:
    await notes.post("/v1/notes", json=DRAFT, headers=_keyed(author, "key-1"))

    other = {**DRAFT, "title": "Summer stock check"}
    response = await notes.post("/v1/notes", json=other, headers=_keyed(author, "key-1"))

    assert_problem(response, 422, "idempotency-key-reused")
    assert await _titles(notes, author) == [DRAFT["title"]]


async def test_the_same_key_on_another_route_is_a_422(
    notes: httpx.AsyncClient, notes_app: FastAPI, author: Caller
) -> None:
    notes_app.state.flaky_failures = 0
    await notes.post("/v1/notes", json=DRAFT, headers=_keyed(author, "key-1"))

    response = await notes.post(
        "/v1/probes/flaky-notes", json=DRAFT, headers=_keyed(author, "key-1")
    )

    assert_problem(response, 422, "idempotency-key-reused")
    assert await _titles(notes, author) == [DRAFT["title"]]


async def test_the_same_key_while_the_first_request_still_runs_is_a_409(
    notes: httpx.AsyncClient, notes_app: FastAPI, author: Caller
) -> None:
    notes_app.state.slow_notes_started = asyncio.Event()
    notes_app.state.release_slow_notes = asyncio.Event()
    headers = _keyed(author, "key-slow")
    first = asyncio.create_task(notes.post("/v1/probes/slow-notes", json=DRAFT, headers=headers))
    await asyncio.wait_for(notes_app.state.slow_notes_started.wait(), timeout=5)

    second = await notes.post("/v1/probes/slow-notes", json=DRAFT, headers=headers)

    assert_problem(second, 409, "idempotency-key-in-use")
    assert second.headers["retry-after"] == "1"
    notes_app.state.release_slow_notes.set()
    assert (await first).status_code == 201
    third = await notes.post("/v1/probes/slow-notes", json=DRAFT, headers=headers)
    assert third.headers["idempotent-replayed"] == "true"
    assert third.content == (await first).content
    assert await _titles(notes, author) == [DRAFT["title"]]


async def test_concurrent_retries_with_one_key_write_once(
    notes: httpx.AsyncClient, author: Caller
) -> None:
    """Claims race for real here (on PostgreSQL, INSERTs wait on each other's unique key)."""
    answers = await asyncio.gather(
        *(notes.post("/v1/notes", json=DRAFT, headers=_keyed(author, "key-race")) for _ in range(6))
    )

    firsts = [a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers]
    assert len(firsts) == 1
    for answer in answers:
        if answer is not firsts[0]:
            assert answer.status_code in (201, 409), answer.text
            if answer.status_code == 201:
                assert answer.content == firsts[0].content
    assert await _titles(notes, author) == [DRAFT["title"]]


async def test_keys_belong_to_their_caller(
    notes: httpx.AsyncClient, make_caller: Callable[..., Caller]
) -> None:
    anna, ben = make_caller("account_manager"), make_caller("account_manager")

    for_anna = await notes.post("/v1/notes", json=DRAFT, headers=_keyed(anna, "shared-key"))
    for_ben = await notes.post("/v1/notes", json=DRAFT, headers=_keyed(ben, "shared-key"))

    assert for_anna.status_code == for_ben.status_code == 201
    assert "idempotent-replayed" not in for_ben.headers
    assert for_anna.json()["id"] != for_ben.json()["id"]
    assert for_ben.json()["owner"] == ben.sub
    assert await _titles(notes, anna) == await _titles(notes, ben) == [DRAFT["title"]]


async def test_a_server_error_is_not_remembered_so_the_retry_runs_again(
    notes: httpx.AsyncClient, notes_app: FastAPI, author: Caller
) -> None:
    notes_app.state.flaky_failures = 1
    headers = _keyed(author, "key-flaky")

    failed = await notes.post("/v1/probes/flaky-notes", json=DRAFT, headers=headers)
    assert_problem(failed, 500, "internal-error")
    assert await _titles(notes, author) == []

    retried = await notes.post("/v1/probes/flaky-notes", json=DRAFT, headers=headers)
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert await _titles(notes, author) == [DRAFT["title"]]


async def test_a_client_error_is_remembered(notes: httpx.AsyncClient, author: Caller) -> None:
    """The same request would fail the same way: the stored answer is replayed."""
    invalid = {"title": ""}
    first = await notes.post("/v1/notes", json=invalid, headers=_keyed(author, "key-invalid"))
    replay = await notes.post("/v1/notes", json=invalid, headers=_keyed(author, "key-invalid"))

    assert first.status_code == replay.status_code == 422
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["content-type"] == "application/problem+json"
    assert replay.content == first.content


async def test_a_key_too_long_or_empty_is_a_400_and_nothing_is_written(
    notes: httpx.AsyncClient, author: Caller
) -> None:
    for key in ("k" * 201, " "):
        response = await notes.post("/v1/notes", json=DRAFT, headers=_keyed(author, key))
        assert_problem(response, 400, "invalid-idempotency-key")

    longest = await notes.post("/v1/notes", json=DRAFT, headers=_keyed(author, "k" * 200))
    assert longest.status_code == 201
    assert await _titles(notes, author) == [DRAFT["title"]]


async def test_without_a_valid_token_the_key_is_not_consulted(
    notes: httpx.AsyncClient, author: Caller
) -> None:
    await notes.post("/v1/notes", json=DRAFT, headers=_keyed(author, "key-1"))

    anonymous = await notes.post("/v1/notes", json=DRAFT, headers={"Idempotency-Key": "key-1"})

    assert_problem(anonymous, 401, "unauthorized")


async def test_a_request_abandoned_mid_way_frees_its_key(
    notes: httpx.AsyncClient, notes_app: FastAPI, author: Caller
) -> None:
    notes_app.state.slow_notes_started = asyncio.Event()
    notes_app.state.release_slow_notes = asyncio.Event()
    headers = _keyed(author, "key-abandoned")
    first = asyncio.create_task(notes.post("/v1/probes/slow-notes", json=DRAFT, headers=headers))
    await asyncio.wait_for(notes_app.state.slow_notes_started.wait(), timeout=5)

    first.cancel()  # the client went away, the server task with it
    await asyncio.gather(first, return_exceptions=True)
    notes_app.state.release_slow_notes.set()
    retried = await notes.post("/v1/probes/slow-notes", json=DRAFT, headers=headers)

    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert await _titles(notes, author) == [DRAFT["title"]]


async def test_a_key_past_its_time_to_live_is_new_again(
    make_settings: Callable[..., Any], author: Caller
) -> None:
    settings = make_settings(NotesSettings, MIGRATIONS_DIR, idempotency_ttl_hours=0)
    async with serve_in_process(create_app(settings)) as notes:
        first = await notes.post("/v1/notes", json=DRAFT, headers=_keyed(author, "key-old"))
        again = await notes.post("/v1/notes", json=DRAFT, headers=_keyed(author, "key-old"))

        assert (first.status_code, again.status_code) == (201, 201)
        assert "idempotent-replayed" not in again.headers
        assert again.json()["id"] != first.json()["id"]
        assert await _titles(notes, author) == [DRAFT["title"]] * 2


async def test_a_key_older_than_its_time_to_live_is_forgotten_and_runs_again(
    notes: httpx.AsyncClient, notes_app: FastAPI, author: Caller
) -> None:
    headers = _keyed(author, "key-of-yesterday")
    first = await notes.post("/v1/notes", json=DRAFT, headers=headers)
    settings = notes_app.state.settings
    db = notes_app.state.db

    purged = await purge_platform_rows(db, settings, utcnow() + timedelta(hours=23))
    assert purged.idempotency_keys == 0
    assert (await notes.post("/v1/notes", json=DRAFT, headers=headers)).headers.get(
        "idempotent-replayed"
    ) == "true"

    purged = await purge_platform_rows(
        db, settings, utcnow() + timedelta(hours=settings.idempotency_ttl_hours + 1)
    )
    assert purged.idempotency_keys == 1
    again = await notes.post("/v1/notes", json=DRAFT, headers=headers)
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]


async def test_an_answer_that_cannot_be_stored_undoes_the_effect(
    notes: httpx.AsyncClient, author: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer and the effect commit together: never one without the other."""
    headers = _keyed(author, "key-unstorable")

    async def the_database_fails(*_args: Any) -> None:
        raise ConnectionError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(IdempotencyMiddleware, "_store", the_database_fails)
        first = await notes.post("/v1/notes", json=DRAFT, headers=headers)

    assert_problem(first, 503, "database-unavailable")
    assert await _titles(notes, author) == []
    retried = await notes.post("/v1/notes", json=DRAFT, headers=headers)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    replayed = await notes.post("/v1/notes", json=DRAFT, headers=headers)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.content == retried.content
    assert await _titles(notes, author) == [DRAFT["title"]]


async def test_a_key_left_in_progress_by_a_dead_process_is_free_at_once(
    notes: httpx.AsyncClient, notes_app: FastAPI, author: Caller
) -> None:
    """What a process killed mid-request left before answers were stored with their effect:
    a key locked for another minute. Its owner is gone; the retry runs now."""
    now = utcnow()
    async with notes_app.state.db.unit_of_work() as session:
        await session.execute(
            insert(idempotency_keys).values(
                principal=author.sub,
                key="key-of-the-dead",
                method="POST",
                path="/v1/notes",
                request_hash="0" * 64,
                state="in_progress",
                created_at=now,
                locked_until=now + timedelta(seconds=60),
            )
        )

    retried = await notes.post("/v1/notes", json=DRAFT, headers=_keyed(author, "key-of-the-dead"))

    assert retried.status_code == 201, retried.text
    assert await _titles(notes, author) == [DRAFT["title"]]


async def test_a_key_answered_by_another_replica_while_the_request_ran_undoes_its_effect(
    notes_settings: NotesSettings, author: Caller
) -> None:
    """The key is not looked at before the route runs: two replicas may run one key at once.
    The first to commit stores its answer; the other's INSERT of its answer meets that row, so
    its effect is undone and the stored answer replayed, never a second effect."""
    held, other = create_app(notes_settings), create_app(notes_settings)
    held.state.slow_notes_started = asyncio.Event()
    held.state.release_slow_notes = asyncio.Event()
    other.state.slow_notes_started = asyncio.Event()
    other.state.release_slow_notes = asyncio.Event()
    other.state.release_slow_notes.set()  # not held
    headers = _keyed(author, "key-raced")
    async with serve_in_process(held) as first, serve_in_process(other) as second:
        running = asyncio.create_task(
            first.post("/v1/probes/slow-notes", json=DRAFT, headers=headers)
        )
        await asyncio.wait_for(held.state.slow_notes_started.wait(), timeout=5)
        answered = await second.post("/v1/probes/slow-notes", json=DRAFT, headers=headers)
        held.state.release_slow_notes.set()
        raced = await running

        assert answered.status_code == 201 and "idempotent-replayed" not in answered.headers
        assert raced.status_code == 201
        assert raced.headers["idempotent-replayed"] == "true"
        assert raced.content == answered.content
        assert await _titles(second, author) == [DRAFT["title"]]


async def test_a_retry_that_fails_this_time_still_gets_the_stored_answer(
    notes: httpx.AsyncClient, notes_app: FastAPI, author: Caller
) -> None:
    """A retry runs the route again before its answer's INSERT finds the stored one; should
    the route fail this time (a 500, its effect rolled back), the stored answer is replayed."""
    notes_app.state.flaky_failures = 0
    headers = _keyed(author, "key-flaky-retry")
    first = await notes.post("/v1/probes/flaky-notes", json=DRAFT, headers=headers)
    notes_app.state.flaky_failures = 1

    retried = await notes.post("/v1/probes/flaky-notes", json=DRAFT, headers=headers)

    assert notes_app.state.flaky_failures == 0  # the route did run, and failed
    assert first.status_code == retried.status_code == 201
    assert retried.headers["idempotent-replayed"] == "true"
    assert retried.content == first.content
    assert await _titles(notes, author) == [DRAFT["title"]]


async def test_a_route_writing_without_the_request_session_is_replayed_without_running(
    notes: httpx.AsyncClient, author: Caller
) -> None:
    headers = _keyed(author, "key-own-transaction")
    path = "/v1/probes/notes-in-their-own-transaction"
    first = await notes.post(path, json=DRAFT, headers=headers)
    replay = await notes.post(path, json=DRAFT, headers=headers)
    reused = await notes.post(path, json={**DRAFT, "title": "Other"}, headers=headers)

    assert first.status_code == replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content
    assert_problem(reused, 422, "idempotency-key-reused")
    assert await _titles(notes, author) == [DRAFT["title"]]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [("/v1/notes", b'{"title": "not JSON', 400), ("/v1/nothing-here", b"{}", 404)],
)
async def test_an_answer_given_before_any_route_ran_is_replayed_too(
    notes: httpx.AsyncClient, author: Caller, path: str, body: bytes, status: int
) -> None:
    """A body that is not JSON, a path without a route: answered before any dependency of a
    route runs, and replayed all the same."""
    headers = {**_keyed(author, "key-early"), "Content-Type": "application/json"}
    first = await notes.post(path, content=body, headers=headers)
    replay = await notes.post(path, content=body, headers=headers)

    assert first.status_code == replay.status_code == status
    assert "idempotent-replayed" not in first.headers
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content


async def test_a_key_past_its_time_to_live_answers_anew_whatever_the_answer(
    make_settings: Callable[..., Any], author: Caller
) -> None:
    """An expired key's row still there (not yet purged) is no answer to replay: an answer
    given before any route, or a refusal of the route, is the request's own, not a 409."""
    settings = make_settings(NotesSettings, MIGRATIONS_DIR, idempotency_ttl_hours=0)
    async with serve_in_process(create_app(settings)) as notes:
        for path, body, status in [
            ("/v1/nothing-here", {}, 404),
            ("/v1/notes", {"title": ""}, 422),
            ("/v1/notes", DRAFT, 201),
        ]:
            headers = _keyed(author, f"key-old-{status}")
            first = await notes.post(path, json=body, headers=headers)
            again = await notes.post(path, json={**body, "other": 1}, headers=headers)

            assert (first.status_code, again.status_code) == (status, status), again.text
            assert "idempotent-replayed" not in again.headers
