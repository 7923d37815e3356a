"""The request id and W3C trace context: answered, and carried into the outbox and the stream."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from typing import Any

import httpx
import nats
from nats.js.errors import NotFoundError
from sqlalchemy import select
from tread_notes.settings import Settings as NotesSettings

from tread_shared.db.engine import Database
from tread_shared.db.platform_tables import outbox_events
from tread_shared.testing.http import Caller

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def _incoming_trace() -> tuple[str, str, str]:
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return trace_id, span_id, f"00-{trace_id}-{span_id}-01"


async def test_a_valid_request_id_is_echoed(notes: httpx.AsyncClient) -> None:
    response = await notes.get("/healthz", headers={"X-Request-Id": "app-7f3a:42"})

    assert response.headers["x-request-id"] == "app-7f3a:42"


async def test_a_missing_or_unusable_request_id_is_replaced_by_a_fresh_one(
    notes: httpx.AsyncClient,
) -> None:
    answers = [
        await notes.get("/healthz"),
        await notes.get("/healthz"),
        await notes.get("/healthz", headers={"X-Request-Id": "has spaces\tand tabs"}),
        await notes.get("/healthz", headers={"X-Request-Id": "x" * 101}),
    ]

    ids = [answer.headers["x-request-id"] for answer in answers]
    assert all(re.fullmatch(r"[0-9a-f]{24}", request_id) for request_id in ids), ids
    assert len(set(ids)) == len(ids)


async def test_the_callers_trace_is_continued_with_a_span_of_our_own(
    notes: httpx.AsyncClient,
) -> None:
    trace_id, span_id, traceparent = _incoming_trace()

    response = await notes.get("/healthz", headers={"traceparent": traceparent})

    match = TRACEPARENT.match(response.headers["traceparent"])
    assert match is not None
    assert match.group(1) == trace_id
    assert match.group(2) != span_id


async def test_without_a_usable_traceparent_a_new_trace_starts(notes: httpx.AsyncClient) -> None:
    unusable = [
        None,
        "00-not-a-trace",
        f"00-{'0' * 32}-{'1' * 16}-01",  # all-zero trace id
        f"00-{'1' * 32}-{'0' * 16}-01",  # all-zero span id
        f"00-{'A' * 32}-{'1' * 16}-01",  # upper case
    ]
    for incoming in unusable:
        headers = {} if incoming is None else {"traceparent": incoming}
        response = await notes.get("/healthz", headers=headers)
        match = TRACEPARENT.match(response.headers["traceparent"])
        assert match is not None, response.headers
        assert match.group(1) not in ("0" * 32, "1" * 32, "a" * 32)


async def _outbox_rows(settings: NotesSettings) -> list[Any]:
    db = Database(settings.resolved_database_url)
    try:
        async with db.unit_of_work() as session:
            return list((await session.execute(select(outbox_events))).all())
    finally:
        await db.dispose()


async def _stored_event(settings: NotesSettings, subject: str) -> Any:
    """The last message on ``subject`` in the test's stream, once the relay published it."""
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        for _ in range(200):
            try:
                return await js.get_last_msg(settings.nats_stream, subject)
            except NotFoundError:
                await asyncio.sleep(0.025)
        raise AssertionError(f"nothing published on {subject}")
    finally:
        await nc.close()


async def test_the_request_id_and_trace_travel_with_the_event_written_in_the_request(
    notes: httpx.AsyncClient, notes_settings: NotesSettings, author: Caller
) -> None:
    trace_id, _span, traceparent = _incoming_trace()
    response = await notes.post(
        "/v1/notes",
        json={"title": "Winter stock check"},
        headers=author.with_(**{"X-Request-Id": "req-trace-1", "traceparent": traceparent}),
    )
    assert response.status_code == 201
    ours = response.headers["traceparent"]
    assert ours.split("-")[1] == trace_id

    created = [row for row in await _outbox_rows(notes_settings) if row.type.endswith("created.v1")]
    [row] = [r for r in created if r.entity_id == response.json()["id"]]
    assert row.envelope["correlationid"] == "req-trace-1"
    assert row.envelope["traceparent"] == ours
    assert row.headers["traceparent"] == ours
    assert row.headers["Tread-Request-Id"] == "req-trace-1"

    message = await _stored_event(
        notes_settings, f"{notes_settings.nats_subject_root}.notes.note.created"
    )
    assert message.headers["traceparent"] == ours
    event = json.loads(message.data)
    assert (event["correlationid"], event["traceparent"]) == ("req-trace-1", ours)
    assert event["subject"] == response.json()["id"]


async def test_a_correlation_id_given_by_the_caller_wins_over_the_request_id(
    notes: httpx.AsyncClient, notes_settings: NotesSettings, author: Caller
) -> None:
    response = await notes.post(
        "/v1/notes",
        json={"title": "Winter stock check"},
        headers=author.with_(**{"X-Request-Id": "req-2", "X-Correlation-Id": "order-118"}),
    )

    [row] = [r for r in await _outbox_rows(notes_settings) if r.entity_id == response.json()["id"]]
    assert row.envelope["correlationid"] == "order-118"
    assert row.headers["Tread-Request-Id"] == "req-2"
