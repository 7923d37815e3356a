"""Structured logs: one JSON object per line, each carrying the request id and trace context."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tread_notes import MIGRATIONS_DIR
from tread_notes.app import create_app
from tread_notes.settings import Settings as NotesSettings

from tread_shared.context import correlation_id_var, request_id_var, traceparent_var
from tread_shared.observability.logs import configure_logging, log_access
from tread_shared.testing.http import Caller
from tread_shared.testing.plugin import serve_in_process

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def json_log_lines(
    make_settings: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The app logs JSON to stderr (captured); ``read()`` → every line, parsed."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    capsys.readouterr()

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]

    yield read
    # The app's handler writes to this test's capture; give the root logger back.
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_each_line_of_a_request_is_json_with_its_request_id_and_trace(
    make_settings: Callable[..., Any],
    json_log_lines: Callable[[], list[dict[str, Any]]],
    author: Caller,
) -> None:
    settings = make_settings(NotesSettings, MIGRATIONS_DIR, log_json=True, events_enabled=False)
    async with serve_in_process(create_app(settings)) as notes:
        json_log_lines()
        response = await notes.post(
            "/v1/notes",
            json={"title": "Winter stock check"},
            headers=author.with_(**{"X-Request-Id": "req-log-1", "traceparent": TRACEPARENT}),
        )
        await asyncio.sleep(0)  # access lines are written when the loop's turn ends
        lines = json_log_lines()

    assert response.status_code == 201
    [access] = [line for line in lines if line["logger"] == "tread.access"]
    assert access["message"] == "POST /v1/notes 201"
    assert access["status"] == 201 and access["duration_ms"] >= 0
    for line in lines:
        assert {"time", "level", "logger", "message", "service"} <= set(line)
        assert line["service"] == "notes"
    assert access["request_id"] == "req-log-1"
    assert access["traceparent"] == response.headers["traceparent"]
    assert access["traceparent"].split("-")[1] == TRACEPARENT.split("-")[1]


async def test_a_bug_is_logged_as_one_json_line_with_its_trace_and_request_id(
    make_settings: Callable[..., Any],
    json_log_lines: Callable[[], list[dict[str, Any]]],
) -> None:
    settings = make_settings(NotesSettings, MIGRATIONS_DIR, log_json=True, events_enabled=False)
    async with serve_in_process(create_app(settings)) as notes:
        json_log_lines()
        response = await notes.get("/v1/probes/crash", headers={"X-Request-Id": "req-log-2"})
        lines = json_log_lines()

    assert response.status_code == 500
    [error] = [line for line in lines if line["level"] == "ERROR"]
    assert error["request_id"] == "req-log-2"
    assert "RuntimeError: could not connect to" in error["exc_info"]
    assert error["message"] == "unhandled error on GET /v1/probes/crash"


def test_the_access_line_written_straight_is_the_line_logging_writes(
    json_log_lines: Callable[[], list[dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("notes", "INFO", json=True)
    access = logging.getLogger("tread.access")
    tokens = (
        request_id_var.set("req-log-3"),
        correlation_id_var.set("corr-3"),
        traceparent_var.set(TRACEPARENT),
    )
    try:
        log_access("GET", '/v1/notes/é"x', 404, 1.25)  # straight to the stream
        # Any filter of its own sends the line through logging's machinery instead.
        access.addFilter(lambda record: True)
        try:
            log_access("GET", '/v1/notes/é"x', 404, 1.25)
        finally:
            access.filters.clear()
    finally:
        request_id_var.reset(tokens[0])
        correlation_id_var.reset(tokens[1])
        traceparent_var.reset(tokens[2])
    raw = capsys.readouterr().err.splitlines()

    straight, through_logging = (json.loads(line) for line in raw)
    assert list(straight) == list(through_logging)
    assert {**straight, "time": None} == {**through_logging, "time": None}
    assert straight["message"] == 'GET /v1/notes/é"x 404'
    assert straight["request_id"] == "req-log-3" and straight["correlation_id"] == "corr-3"
    for line in (straight, through_logging):
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", line["time"])
    assert raw[0].encode().isascii()  # escaped as logging escapes it


async def test_access_lines_of_one_turn_of_the_loop_come_out_whole_and_in_order(
    json_log_lines: Callable[[], list[dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("notes", "INFO", json=True)
    for n in range(3):  # requests ending in the same turn of the event loop
        log_access("GET", f"/v1/notes/{n}é", 200, 0.5 + n)
    await asyncio.sleep(0)
    raw = capsys.readouterr().err.splitlines()

    lines = [json.loads(line) for line in raw]
    assert [line["message"] for line in lines] == [f"GET /v1/notes/{n}é 200" for n in range(3)]
    assert [line["duration_ms"] for line in lines] == [0.5, 1.5, 2.5]
    assert all(line.isascii() for line in raw)  # escaped as logging escapes it
