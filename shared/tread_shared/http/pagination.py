"""Cursor pagination: ``limit`` and an opaque ``cursor``; answers carry ``next_cursor``.

The cursor encodes the sort key and id of the last item returned, so pages stay stable while
rows are inserted (keyset pagination, no OFFSET)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from tread_shared.errors import Problem

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


# ``async``: FastAPI runs a plain ``def`` dependency in a worker thread, two thread hand-offs
# per request for two integers (under load, each waits for the OS to schedule the thread).
async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


def encode_cursor(*key: Any) -> str:
    """An opaque cursor for the keyset ``key`` (JSON-serialisable parts)."""
    raw = json.dumps([str(part) for part in key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, parts: int) -> list[str]:
    """The keyset parts of ``cursor``; a 400 problem when it was not made by us."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise Problem("The cursor is not valid.", status=400, slug="invalid-cursor") from exc
    if (
        not isinstance(value, list)
        or len(value) != parts
        or not all(isinstance(part, str) for part in value)
    ):
        raise Problem("The cursor is not valid.", status=400, slug="invalid-cursor")
    return list(value)
