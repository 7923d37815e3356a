"""Routes with a handler worked out once answer every request as FastAPI's own handler does:
the same status, headers and body, problems included, for reads and for writes with a body."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
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


@contextlib.contextmanager
def fastapis_handler(app: FastAPI) -> Iterator[None]:
    """Every route of ``app`` answers with FastAPI's own handler inside the block."""
    app.dependency_overrides[_never_called] = _never_called
    try:
        yield
    finally:
        app.dependency_overrides.clear()


def _comparable(answer: httpx.Response) -> tuple[int, dict[str, str], Any]:
    headers = {k: v for k, v in answer.headers.items() if k not in _OWN_EACH_TIME}
    if answer.headers.get("content-type", "").endswith("json") and answer.content:
        body = answer.json()
        if isinstance(body, dict):
            body.pop("request_id", None)
        return answer.status_code, headers, body
    return answer.status_code, headers, answer.content


def test_the_routes_with_a_json_body_or_none_take_the_lean_handler(notes_app: FastAPI) -> None:
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
        ("POST", "/v1/notes"): True,
        ("PATCH", "/v1/notes/{note_id}"): True,
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
    with fastapis_handler(notes_app):
        fastapis = await answers()

    assert lean == fastapis
    assert [status for status, _, _ in lean] == [
        200, 404, 404, 422, 401, 200, 422, 422, 422, 200, 428, 412,
    ]  # fmt: skip
    # A deletion, once by each handler: the same empty 204.
    deleted = []
    for n, note in enumerate(doomed):
        with fastapis_handler(notes_app) if n else contextlib.nullcontext():
            deleted.append(
                _comparable(
                    await notes.delete(
                        f"/v1/notes/{note['id']}",
                        headers=author.with_(**{"If-Match": f'"{note["id"]}-v1"'}),
                    )
                )
            )
    assert deleted[0] == deleted[1] and deleted[0][0] == 204 and deleted[0][2] == b""


_AN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Different for every note written.
_OWN_EACH_NOTE = {"id", "created_at", "updated_at"}


def _comparable_write(answer: httpx.Response) -> tuple[int, dict[str, str], Any]:
    status, headers, body = _comparable(answer)
    headers = {k: _AN_ID.sub("<id>", v) for k, v in headers.items()}
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in _OWN_EACH_NOTE}
    return status, headers, json.loads(_AN_ID.sub("<id>", json.dumps(body, default=repr)))


async def test_every_write_with_a_body_answers_as_fastapis_handler(
    notes: httpx.AsyncClient,
    notes_app: FastAPI,
    author: Caller,
    make_caller: Callable[..., Caller],
    write_note: Callable[..., Awaitable[httpx.Response]],
) -> None:
    central = make_caller("central")  # may read, may not write
    json_type = {"Content-Type": "application/json"}

    def posts(round_: str) -> list[tuple[dict[str, str], bytes]]:
        return [
            (author.with_(**json_type), b'{"title": "Tyre count", "pinned": true}'),
            (author.with_(**{"Content-Type": "application/merge-patch+json"}), b'{"title": "+"}'),
            (author.with_(**{"Idempotency-Key": f"k-{round_}"}, **json_type), b'{"title": "K"}'),
            (author.with_(**{"Idempotency-Key": f"k-{round_}"}, **json_type), b'{"title": "K"}'),
            (author.with_(**json_type), b'{"title": '),  # JSON that does not parse: 400
            (author.with_(**json_type), b"[1, 2]"),
            (author.with_(**json_type), b'{"title": "", "pinned": "maybe"}'),
            (author.with_(**json_type), b"{}"),
            (author.with_(**json_type), b""),  # no body at all
            (author.with_(**{"Content-Type": "text/plain"}), b'{"title": "As text"}'),
            ({k: v for k, v in author.headers.items()}, b'{"title": "No type"}'),
            (central.with_(**json_type), b'{"title": "Not theirs to write"}'),
            (json_type, b'{"title": "Nobody"}'),  # no token: 401
        ]

    async def answers(round_: str) -> list[tuple[int, dict[str, str], Any]]:
        note = (await write_note(author, title="To revise")).json()
        etag = f'"{note["id"]}-v1"'
        patches = [
            (author.with_(**{"If-Match": etag}, **json_type), b'{"pinned": true}'),
            (author.with_(**{"If-Match": etag}, **json_type), b'{"pinned": false}'),  # stale: 412
            (author.with_(**json_type), b'{"pinned": false}'),  # no If-Match: 428
            (author.with_(**{"If-Match": f'"{note["id"]}-v2"'}, **json_type), b'{"title": 7}'),
            (author.with_(**{"If-Match": f'"{note["id"]}-v2"'}, **json_type), b"nonsense"),
        ]
        written = (
            [
                await notes.post("/v1/notes", content=body, headers=headers)
                for headers, body in posts(round_)
            ]
            + [
                await notes.patch(f"/v1/notes/{note['id']}", content=body, headers=headers)
                for headers, body in patches
            ]
            + [
                await notes.patch(
                    f"/v1/notes/{uuid.uuid4()}", content=b"{}", headers=author.headers
                )
            ]
        )
        return [_comparable_write(answer) for answer in written]

    lean = await answers("lean")
    with fastapis_handler(notes_app):
        fastapis = await answers("fastapi")

    assert lean == fastapis
    assert [status for status, _, _ in lean] == [
        201, 201, 201, 201, 400, 422, 422, 422, 422, 422, 422, 403, 401,
        200, 412, 428, 422, 400, 404,
    ]  # fmt: skip
    assert lean[3][1].get("idempotent-replayed") == "true"
