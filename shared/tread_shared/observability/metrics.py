"""Prometheus metrics shared by every service, and the ``/metrics`` endpoint."""

from __future__ import annotations

import os

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

# Set (by ``serve`` with ``http_workers`` > 1) before the workers start: prometheus_client then
# keeps each worker's figures in files of that directory, and ``/metrics`` sums them.
MULTIPROCESS_METRICS = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter(
    "tread_http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "tread_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_PUBLISHED = Counter(
    "tread_events_published_total", "Outbox events published to JetStream", ["service"]
)
OUTBOX_PENDING = Gauge("tread_outbox_pending", "Outbox rows not yet published", ["service"])
EVENTS_CONSUMED = Counter(
    "tread_events_consumed_total", "Events applied by a consumer", ["service", "consumer", "type"]
)
EVENTS_DUPLICATE = Counter(
    "tread_events_duplicate_total", "Deliveries skipped as already applied", ["service", "consumer"]
)
EVENTS_FAILED = Counter(
    "tread_events_failed_total", "Event deliveries whose handler failed", ["service", "consumer"]
)
EVENTS_DEAD_LETTERED = Counter(
    "tread_events_dead_lettered_total",
    "Events moved to the dead-letter subject",
    ["service", "consumer"],
)
GC_PAUSE = Histogram(
    "tread_gc_pause_seconds",
    "Pauses of Python's cyclic garbage collector, by generation collected: each one stops every "
    "request the process is serving",
    ["service", "generation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5),
)

metrics_router = APIRouter()


@metrics_router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    if os.environ.get(MULTIPROCESS_METRICS):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
