"""HTTP helpers for tests: callers with their bearer headers, and problem-document checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class Caller:
    """A test caller: its ``sub`` and the headers carrying its token."""

    sub: str
    headers: dict[str, str] = field(default_factory=dict)

    def with_(self, **headers: str) -> dict[str, str]:
        """Its headers plus ``headers`` (``caller.with_(**{"If-Match": etag})``)."""
        return {**self.headers, **headers}


def assert_problem(
    response: httpx.Response, status: int, slug: str | None = None
) -> dict[str, Any]:
    """Check ``response`` is an RFC 9457 problem of ``status`` (and ``urn:tread:problem:<slug>``);
    returns the document."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    if slug is not None:
        assert body["type"] == f"urn:tread:problem:{slug}", body
    return body
