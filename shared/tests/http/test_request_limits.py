"""Bounded bodies, no control characters, no redirect naming the caller's Host: refused before
any route reads the request, as problems, with nothing changed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from tread_notes import MIGRATIONS_DIR
from tread_notes.app import create_app
from tread_notes.settings import Settings as NotesSettings

from tread_shared.testing.http import Caller, assert_problem
from tread_shared.testing.plugin import serve_in_process

LIMIT = 4096


@pytest.fixture
async def small_notes(make_settings: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    """The sample service, taking bodies of at most 4 KB."""
    settings = make_settings(NotesSettings, MIGRATIONS_DIR, max_request_body_bytes=LIMIT)
    async with serve_in_process(create_app(settings)) as client:
        yield client


async def _titles(client: httpx.AsyncClient, caller: Caller) -> list[str]:
    listed = await client.get("/v1/notes", headers=caller.headers)
    return [note["title"] for note in listed.json()["items"]]


async def test_a_body_over_the_limit_is_a_413_problem(
    small_notes: httpx.AsyncClient, author: Caller
) -> None:
    response = await small_notes.post(
        "/v1/notes", json={"title": "Big", "body": "x" * LIMIT}, headers=author.headers
    )

    assert_problem(response, 413, "payload-too-large")
    assert await _titles(small_notes, author) == []


async def test_header_fields_over_the_limit_are_a_431_problem(
    make_settings: Callable[..., Any], author: Caller
) -> None:
    settings = make_settings(NotesSettings, MIGRATIONS_DIR, max_request_header_bytes=2048)
    async with serve_in_process(create_app(settings)) as notes:
        within = await notes.post(
            "/v1/notes",
            json={"title": "Fits", "body": ""},
            headers=author.with_(**{"X-Padding": "x" * 500}),
        )
        over = await notes.post(
            "/v1/notes",
            json={"title": "Big", "body": ""},
            headers=author.with_(**{"X-Padding": "x" * 2048}),
        )

        assert within.status_code == 201
        assert_problem(over, 431, "header-fields-too-large")
        assert await _titles(notes, author) == ["Fits"]


async def test_a_streamed_body_is_refused_once_it_passes_the_limit(
    small_notes: httpx.AsyncClient, author: Caller
) -> None:
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "Big", "body": "'
        for _ in range(1000):  # 1 MB if it were all read
            sent.append(1)
            yield b"x" * 1024
        yield b'"}'

    response = await small_notes.post(
        "/v1/notes",
        content=chunks(),
        headers=author.with_(**{"Content-Type": "application/json"}),
    )

    assert_problem(response, 413, "payload-too-large")
    assert len(sent) < 10, "read far past the limit"


async def test_a_body_within_the_limit_is_served(
    small_notes: httpx.AsyncClient, author: Caller
) -> None:
    response = await small_notes.post(
        "/v1/notes", json={"title": "Small", "body": "x" * 1000}, headers=author.headers
    )

    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "title", ["Winter\u0000stock", "Esc\u001b[31m", "Bell\u0007", "Back\bspace", "Del\u007f"]
)
async def test_control_characters_in_a_body_are_a_422_and_change_nothing(
    notes: httpx.AsyncClient, author: Caller, title: str
) -> None:
    response = await notes.post("/v1/notes", json={"title": title}, headers=author.headers)

    assert_problem(response, 422, "control-character")
    assert await _titles(notes, author) == []


async def test_tabs_line_breaks_and_escaped_backslashes_are_text(
    notes: httpx.AsyncClient, author: Caller
) -> None:
    body = "Line one\r\nLine\ttwo \\u0000 is how JSON writes NUL"

    response = await notes.post(
        "/v1/notes", json={"title": "Multi-line", "body": body}, headers=author.headers
    )

    assert response.status_code == 201, response.text
    assert response.json()["body"] == body


async def test_control_characters_in_the_query_are_a_422(
    notes: httpx.AsyncClient, author: Caller
) -> None:
    response = await notes.get("/v1/notes?cursor=%00abc", headers=author.headers)

    assert_problem(response, 422, "control-character")


async def test_a_trailing_slash_is_not_redirected_to_the_host_the_client_named(
    notes: httpx.AsyncClient, author: Caller
) -> None:
    response = await notes.get("/v1/notes/", headers=author.with_(Host="evil.example"))

    assert_problem(response, 404, "not-found")
    assert "location" not in response.headers
