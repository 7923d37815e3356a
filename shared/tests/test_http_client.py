"""The client for systems outside Tread, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tread_shared.context import correlation_id_var, request_id_var, traceparent_var
from tread_shared.http_client import RetryableStatusError, create_client, request_with_retries
from tread_shared.testing.external_http import ExternalHttpServer, ReceivedRequest, Reply

StartServer = Callable[..., ExternalHttpServer]
OK: Reply = (200, {"Content-Type": "application/json"}, b'{"credit_limit": "25000.00"}')
UNAVAILABLE: Reply = (503, {}, b"maintenance")


def _script(*replies: Reply) -> Callable[[ReceivedRequest], Reply]:
    """Answer ``replies`` in turn, the last one for ever after."""
    remaining = list(replies)

    def answer(_request: ReceivedRequest) -> Reply:
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return answer


async def test_503_answers_are_retried_until_one_succeeds(
    external_http_server: StartServer,
) -> None:
    server = external_http_server(_script(UNAVAILABLE, UNAVAILABLE, OK))

    async with create_client(server.url) as client:
        response = await request_with_retries(
            client, "GET", "/credit/ACME-1", attempts=3, backoff_seconds=0.01
        )

    assert response.json() == {"credit_limit": "25000.00"}
    assert len(server.requests) == 3


async def test_a_refused_connection_is_retried_until_the_system_is_back(
    external_http_server: StartServer,
) -> None:
    server = external_http_server(_script(OK), listening=False)
    comes_back = threading.Timer(0.15, server.start)
    comes_back.start()
    started = time.monotonic()
    try:
        async with create_client(server.url) as client:
            response = await request_with_retries(
                client, "GET", "/credit/ACME-1", attempts=6, backoff_seconds=0.05
            )
    finally:
        comes_back.join()

    assert response.status_code == 200
    assert len(server.requests) == 1
    assert time.monotonic() - started >= 0.15  # it did wait for the system to come back


async def test_after_the_last_attempt_the_failure_is_raised(
    external_http_server: StartServer,
) -> None:
    server = external_http_server(_script(UNAVAILABLE))

    async with create_client(server.url) as client:
        with pytest.raises(RetryableStatusError) as raised:
            await request_with_retries(
                client, "GET", "/credit/ACME-1", attempts=4, backoff_seconds=0.01
            )

    assert raised.value.response.status_code == 503
    assert len(server.requests) == 4


async def test_a_refused_connection_after_the_last_attempt_is_raised(
    external_http_server: StartServer,
) -> None:
    server = external_http_server(_script(OK), listening=False)

    async with create_client(server.url) as client:
        with pytest.raises(httpx.ConnectError):
            await request_with_retries(
                client, "GET", "/credit/ACME-1", attempts=2, backoff_seconds=0.01
            )


async def test_other_errors_are_answered_at_once_not_retried(
    external_http_server: StartServer,
) -> None:
    server = external_http_server(_script((404, {}, b"no such customer"), OK))

    async with create_client(server.url) as client:
        response = await request_with_retries(client, "GET", "/credit/NOBODY", attempts=3)

    assert response.status_code == 404
    assert len(server.requests) == 1


@pytest.fixture
def slow_reply() -> Iterator[Callable[[ReceivedRequest], Reply]]:
    released = threading.Event()

    def answer(_request: ReceivedRequest) -> Reply:
        released.wait(timeout=5)
        return OK

    yield answer
    released.set()


async def test_the_timeout_is_honoured(
    external_http_server: StartServer, slow_reply: Callable[[ReceivedRequest], Reply]
) -> None:
    server = external_http_server(slow_reply)
    started = time.monotonic()

    async with create_client(server.url, timeout_seconds=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await request_with_retries(
                client, "GET", "/credit/ACME-1", attempts=2, backoff_seconds=0.01
            )

    assert 0.4 <= time.monotonic() - started < 1.5
    assert len(server.requests) == 2


async def test_the_request_id_and_trace_context_are_sent(
    external_http_server: StartServer,
) -> None:
    server = external_http_server(_script(OK))
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    tokens = [
        request_id_var.set("req-out-1"),
        correlation_id_var.set("order-118"),
        traceparent_var.set(traceparent),
    ]
    try:
        async with create_client(server.url) as client:
            await request_with_retries(client, "GET", "/credit/ACME-1")
    finally:
        for var, token in zip(
            (request_id_var, correlation_id_var, traceparent_var), tokens, strict=True
        ):
            var.reset(token)

    [received] = server.requests
    assert received.headers["traceparent"] == traceparent
    assert received.headers["x-request-id"] == "req-out-1"
    assert received.headers["x-correlation-id"] == "order-118"


async def test_outside_a_request_no_trace_headers_are_invented(
    external_http_server: StartServer,
) -> None:
    server = external_http_server(_script(OK))

    async with create_client(server.url) as client:
        await request_with_retries(client, "GET", "/credit/ACME-1")

    [received] = server.requests
    assert "traceparent" not in received.headers
    assert "x-request-id" not in received.headers
