"""HTTP clients for systems outside Tread (billing, credit): timeouts, retries with
exponential backoff on connection errors and 502/503/504, and trace headers on every call."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from tread_shared.context import correlation_id_var, request_id_var, traceparent_var

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({502, 503, 504})


class RetryableStatusError(Exception):
    """The remote answered with a status worth retrying."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(
            f"{response.request.method} {response.request.url} -> {response.status_code}"
        )
        self.response = response


async def _trace_headers(request: httpx.Request) -> None:
    for header, var in (
        ("traceparent", traceparent_var),
        ("x-request-id", request_id_var),
        ("x-correlation-id", correlation_id_var),
    ):
        value = var.get()
        if value and header not in request.headers:
            request.headers[header] = value


def create_client(
    base_url: str,
    *,
    timeout_seconds: float = 3.0,
    connect_timeout_seconds: float = 1.0,
    headers: dict[str, str] | None = None,
    auth: httpx.Auth | tuple[str, str] | None = None,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for one external system, with timeouts and trace headers."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout_seconds, connect=connect_timeout_seconds),
        headers=headers,
        auth=auth,
        event_hooks={"request": [_trace_headers]},
    )


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, (httpx.TransportError, RetryableStatusError))


async def request_with_retries(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    attempts: int = 3,
    backoff_seconds: float = 0.2,
    max_backoff_seconds: float = 2.0,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request, retrying transport errors and 502/503/504 with exponential backoff.

    Raises the last ``httpx.TransportError`` or :class:`RetryableStatusError` when every
    attempt failed; other statuses are returned for the caller to judge."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=backoff_seconds, max=max_backoff_seconds),
        retry=retry_if_exception(_is_retryable),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            response = await client.request(method, url, **kwargs)
            if response.status_code in RETRYABLE_STATUS:
                log.warning("%s %s answered %d", method, url, response.status_code)
                raise RetryableStatusError(response)
            return response
    raise AssertionError("unreachable: tenacity reraises")
