"""Routes with a handler worked out once answer every request as FastAPI's own handler does:
the same status, headers and body, problems included."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from tread_shared.http.route_handler import lean_handler
from tread_shared.testing.http import Caller

# Set on every answer, different each time.
_OWN_EACH_TIME = {"x-request-id", "traceparent"}


async def _never_called() -> None:
    raise AssertionError("an override only there to make FastAPI's handler answer")


def _comparable(answer: httpx.Response) -> tuple[int, dict[str, str], Any]:
    headers = {k: v for k, v in answer.headers.items() if k not in _OWN_EACH_TIME}
    if answer.headers.get("content-type", "").endswith("json") and answer.content:
        body = answer.json()
        if isinstance(body, dict):
            body.pop("request_id", None)
        return answer.status_code, headers, body
    return answer.status_code, headers, answer.content


def test_the_routes_without_a_body_take_the_lean_handler(notes_app: FastAPI) -> None:
    routes = {
        (method, route.path): lean_handler(route) is not None
        for route in notes_app.routes
        if isinstance(route, APIRoute) and route.path.startswith("/v1/notes")
        for method in route.methods or ()
    }

    assert routes == {
        ("GET", "/v1/notes"): True,
        ("GET", "/v1/notes/{note_id}"): True,
        ("DELETE", "/v1/notes/{note_id}"): True,
        ("POST", "/v1/notes"): False,  # a body: FastAPI's handler
        ("PATCH", "/v1/notes/{note_id}"): False,
    }


async def test_every_answer_is_the_one_fastapis_handler_gives(
    notes: httpx.AsyncClient,
    notes_app: FastAPI,
    author: Caller,
    make_caller: Callable[..., Caller],
    write_note: Callable[..., Awaitable[httpx.Response]],
) -> None:
    kept = (await write_note(author, title="Kept")).json()
    other = make_caller("account_manager")
    doomed = [(await write_note(author, title=f"Doomed {n}")).json() for n in range(2)]
    reads: list[tuple[str, str, dict[str, str]]] = [
        ("GET", f"/v1/notes/{kept['id']}", author.headers),
        ("GET", f"/v1/notes/{kept['id']}", other.headers),  # not theirs: 404
        ("GET", f"/v1/notes/{uuid.uuid4()}", author.headers),
        ("GET", "/v1/notes/not-an-id", author.headers),  # 422, the parameter named
        ("GET", f"/v1/notes/{kept['id']}", {}),  # no token: 401
        ("GET", "/v1/notes?limit=2", author.headers),
        ("GET", "/v1/notes?limit=0", author.headers),
        ("GET", "/v1/notes?limit=many&cursor=%00", author.headers),
        ("GET", "/v1/notes?updated_since=yesterday", author.headers),
        ("GET", "/v1/notes?updated_since=2026-01-01T00:00:00Z", author.headers),
        ("DELETE", f"/v1/notes/{kept['id']}", author.headers),  # no If-Match: 428
        ("DELETE", f"/v1/notes/{kept['id']}", author.with_(**{"If-Match": '"stale-v9"'})),
    ]

    async def answers() -> list[tuple[int, dict[str, str], Any]]:
        return [
            _comparable(await notes.request(method, path, headers=headers))
            for method, path, headers in reads
        ]

    lean = await answers()
    notes_app.dependency_overrides[_never_called] = _never_called
    try:
        fastapis = await answers()
    finally:
        notes_app.dependency_overrides.clear()

    assert lean == fastapis
    assert [status for status, _, _ in lean] == [
        200, 404, 404, 422, 401, 200, 422, 422, 422, 200, 428, 412,
    ]  # fmt: skip
    # A deletion, once by each handler: the same empty 204.
    deleted = []
    for n, note in enumerate(doomed):
        if n:
            notes_app.dependency_overrides[_never_called] = _never_called
        try:
            deleted.append(
                _comparable(
                    await notes.delete(
                        f"/v1/notes/{note['id']}",
                        headers=author.with_(**{"If-Match": f'"{note["id"]}-v1"'}),
                    )
                )
            )
        finally:
            notes_app.dependency_overrides.clear()
    assert deleted[0] == deleted[1] and deleted[0][0] == 204 and deleted[0][2] == b""
