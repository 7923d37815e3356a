"""``/metrics``: Prometheus counters per route template, not per URL."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Awaitable, Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tread_shared.testing.http import Caller

WriteNote = Callable[..., Awaitable[httpx.Response]]


async def _request_counts(notes: httpx.AsyncClient) -> dict[tuple[str, str, str], float]:
    """``tread_http_requests_total`` of the notes service by (method, route, status)."""
    response = await notes.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    counts = {}
    for family in text_string_to_metric_families(response.text):
        if family.name != "tread_http_requests":
            continue
        for sample in family.samples:
            labels = sample.labels
            if sample.name.endswith("_total") and labels["service"] == "notes":
                counts[(labels["method"], labels["route"], labels["status"])] = sample.value
    return counts


async def test_requests_are_counted_per_route_template(
    notes: httpx.AsyncClient, write_note: WriteNote, author: Caller
) -> None:
    first, second = await write_note(author), await write_note(author)
    before = await _request_counts(notes)

    for created in (first, second, first):
        await notes.get(created.headers["location"], headers=author.headers)
    await notes.get(f"/v1/notes/{uuid.uuid4()}", headers=author.headers)
    await notes.get(f"/v1/unknown/{uuid.uuid4()}")
    after = await _request_counts(notes)

    def grew(key: tuple[str, str, str]) -> float:
        return after.get(key, 0) - before.get(key, 0)

    assert grew(("GET", "/v1/notes/{note_id}", "200")) == 3
    assert grew(("GET", "/v1/notes/{note_id}", "404")) == 1
    assert grew(("GET", "unmatched", "404")) == 1
    assert not any(first.json()["id"] in route for _method, route, _status in after)


def _gc_pauses(text: str, generation: str) -> float:
    """How many collections of ``generation`` the notes service timed."""
    for family in text_string_to_metric_families(text):
        if family.name == "tread_gc_pause_seconds":
            for sample in family.samples:
                labels = sample.labels
                if (
                    sample.name.endswith("_count")
                    and labels["service"] == "notes"
                    and labels["generation"] == generation
                ):
                    return sample.value
    return 0.0


async def test_garbage_collector_pauses_are_timed_by_generation(notes: httpx.AsyncClient) -> None:
    before = _gc_pauses((await notes.get("/metrics")).text, "2")
    gc.collect()
    gc.collect()
    after = _gc_pauses((await notes.get("/metrics")).text, "2")
    assert after >= before + 2
