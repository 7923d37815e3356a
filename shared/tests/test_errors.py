"""Every error is an RFC 9457 problem document; no request produces a stack trace."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from tread_notes import MIGRATIONS_DIR
from tread_notes.app import create_app
from tread_notes.settings import Settings as NotesSettings

from tread_shared.testing.http import Caller, assert_problem
from tread_shared.testing.plugin import serve_in_process

PROBLEM_MEMBERS = {"type", "title", "status", "request_id", "instance"}


async def test_an_unknown_route_is_a_404_problem(notes: httpx.AsyncClient) -> None:
    response = await notes.get("/v1/no-such-thing", headers={"X-Request-Id": "req-404"})

    problem = assert_problem(response, 404, "not-found")
    assert problem["request_id"] == "req-404" == response.headers["x-request-id"]
    assert problem["instance"] == "/v1/no-such-thing"
    assert problem["title"] == "Not Found"


async def test_a_wrong_method_is_a_405_problem_naming_the_allowed_ones(
    notes: httpx.AsyncClient, author: Caller
) -> None:
    response = await notes.put("/v1/notes", json={}, headers=author.headers)

    assert_problem(response, 405, "method-not-allowed")
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


async def test_malformed_json_is_a_400_problem(notes: httpx.AsyncClient, author: Caller) -> None:
    response = await notes.post(
        "/v1/notes",
        content=b'{"title": "Winter stock check",',
        headers=author.with_(**{"Content-Type": "application/json"}),
    )

    problem = assert_problem(response, 400, "malformed-json")
    assert problem["errors"][0]["type"] == "json_invalid"


async def test_a_body_that_is_not_utf8_is_a_400_problem(
    notes: httpx.AsyncClient, author: Caller
) -> None:
    response = await notes.post(
        "/v1/notes",
        content=b"\xff\xfe{}",
        headers=author.with_(**{"Content-Type": "application/json"}),
    )

    assert_problem(response, 400)


async def test_wrong_types_and_missing_fields_are_a_422_problem_naming_each_field(
    notes: httpx.AsyncClient, author: Caller
) -> None:
    response = await notes.post(
        "/v1/notes", json={"body": 12, "pinned": "perhaps"}, headers=author.headers
    )

    problem = assert_problem(response, 422, "validation-error")
    refused = {tuple(error["location"]): error["type"] for error in problem["errors"]}
    assert refused == {
        ("body", "title"): "missing",
        ("body", "body"): "string_type",
        ("body", "pinned"): "bool_parsing",
    }
    assert all(error["message"] for error in problem["errors"])


async def test_a_query_parameter_of_the_wrong_type_is_a_422_problem(
    notes: httpx.AsyncClient, author: Caller
) -> None:
    response = await notes.get("/v1/notes", params={"limit": "many"}, headers=author.headers)

    problem = assert_problem(response, 422, "validation-error")
    assert [error["location"] for error in problem["errors"]] == [["query", "limit"]]


async def test_a_bug_is_a_500_problem_without_its_exception_or_trace(
    notes: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="tread.errors"):
        response = await notes.get("/v1/probes/crash", headers={"X-Request-Id": "req-bug"})

    problem = assert_problem(response, 500, "internal-error")
    assert set(problem) == PROBLEM_MEMBERS | {"detail"}
    assert problem["request_id"] == "req-bug" == response.headers["x-request-id"]
    for leak in ("hunter2", "RuntimeError", "Traceback", "could not connect", "probes.py"):
        assert leak not in response.text
    # The trace is for operators, in the log, with the request id to find it by.
    [record] = [r for r in caplog.records if r.name == "tread.errors"]
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])
    assert getattr(record, "request_id", None) == "req-bug"


ErrorCase = Callable[[httpx.AsyncClient, Caller, Caller], Any]


async def _unknown_route(c: httpx.AsyncClient, a: Caller, _o: Caller) -> httpx.Response:
    return await c.get("/nowhere", headers=a.headers)


async def _wrong_method(c: httpx.AsyncClient, a: Caller, _o: Caller) -> httpx.Response:
    return await c.delete("/v1/notes", headers=a.headers)


async def _malformed_json(c: httpx.AsyncClient, a: Caller, _o: Caller) -> httpx.Response:
    headers = a.with_(**{"Content-Type": "application/json"})
    return await c.post("/v1/notes", content=b"{", headers=headers)


async def _invalid_fields(c: httpx.AsyncClient, a: Caller, _o: Caller) -> httpx.Response:
    return await c.post("/v1/notes", json={"title": ""}, headers=a.headers)


async def _no_token(c: httpx.AsyncClient, _a: Caller, _o: Caller) -> httpx.Response:
    return await c.get("/v1/notes")


async def _role_not_allowed(c: httpx.AsyncClient, _a: Caller, o: Caller) -> httpx.Response:
    return await c.post("/v1/notes", json={"title": "Stock"}, headers=o.headers)


async def _missing_note(c: httpx.AsyncClient, a: Caller, _o: Caller) -> httpx.Response:
    return await c.get(f"/v1/notes/{uuid.uuid4()}", headers=a.headers)


async def _no_if_match(c: httpx.AsyncClient, a: Caller, _o: Caller) -> httpx.Response:
    created = await c.post("/v1/notes", json={"title": "Stock"}, headers=a.headers)
    return await c.patch(created.headers["location"], json={"title": "X"}, headers=a.headers)


async def _stale_if_match(c: httpx.AsyncClient, a: Caller, _o: Caller) -> httpx.Response:
    created = await c.post("/v1/notes", json={"title": "Stock"}, headers=a.headers)
    headers = a.with_(**{"If-Match": '"stale"'})
    return await c.patch(created.headers["location"], json={"title": "X"}, headers=headers)


async def _bad_cursor(c: httpx.AsyncClient, a: Caller, _o: Caller) -> httpx.Response:
    return await c.get("/v1/notes", params={"cursor": "%%%"}, headers=a.headers)


async def _long_idempotency_key(c: httpx.AsyncClient, a: Caller, _o: Caller) -> httpx.Response:
    headers = a.with_(**{"Idempotency-Key": "k" * 201})
    return await c.post("/v1/notes", json={"title": "Stock"}, headers=headers)


async def _bug(c: httpx.AsyncClient, a: Caller, _o: Caller) -> httpx.Response:
    return await c.get("/v1/probes/crash", headers=a.headers)


@pytest.mark.parametrize(
    ("case", "status"),
    [
        (_unknown_route, 404),
        (_wrong_method, 405),
        (_malformed_json, 400),
        (_invalid_fields, 422),
        (_no_token, 401),
        (_role_not_allowed, 403),
        (_missing_note, 404),
        (_no_if_match, 428),
        (_stale_if_match, 412),
        (_bad_cursor, 400),
        (_long_idempotency_key, 400),
        (_bug, 500),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)).strip("_"),
)
async def test_every_error_answer_is_a_problem_document_with_the_request_id(
    notes: httpx.AsyncClient,
    author: Caller,
    make_caller: Callable[..., Caller],
    case: ErrorCase,
    status: int,
) -> None:
    response = await case(notes, author, make_caller("central"))

    problem = assert_problem(response, status)
    assert set(problem) >= PROBLEM_MEMBERS
    assert problem["type"].startswith("urn:tread:problem:")
    assert problem["title"]
    assert problem["request_id"] == response.headers["x-request-id"]


async def test_no_database_connection_in_time_is_a_503_to_retry_and_changes_nothing(
    make_settings: Callable[..., Any], make_caller: Callable[..., Caller]
) -> None:
    settings = make_settings(
        NotesSettings,
        MIGRATIONS_DIR,
        database_pool_size=1,
        database_connection_wait_seconds=0.1,
    )
    app = create_app(settings)
    author = make_caller("account_manager")
    async with serve_in_process(app) as notes:
        connections = app.state.db.connections
        occupied = asyncio.Semaphore(0)
        free = asyncio.Event()

        async def occupy() -> None:
            async with connections.place():
                occupied.release()
                await free.wait()

        # Every connection the service may use is taken by someone else for now.
        holders = [asyncio.create_task(occupy()) for _ in range(connections.capacity)]
        for _ in holders:
            await occupied.acquire()
        try:
            busy = await notes.post("/v1/notes", json={"title": "Visit"}, headers=author.headers)
        finally:
            free.set()
            await asyncio.gather(*holders)

        problem = assert_problem(busy, 503, "database-unavailable")
        assert busy.headers["retry-after"] == "2"
        assert "nothing was changed" in problem["detail"]
        listed = await notes.get("/v1/notes", headers=author.headers)
        assert listed.status_code == 200 and listed.json()["items"] == []
