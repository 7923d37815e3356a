"""Keyset pages for the HTTP lists of :class:`~tread_shared.db.base.EntityMixin` models.

Two orders, one helper:

- a plain list: live rows (no ``deleted_at``) in id order — UUIDv7, so creation order;
- ``updated_since``: every row changed at or after that time, deletions included, in
  ``(updated_at, id)`` order, for offline clients to apply one after the other (render the
  deleted ones with :func:`tread_shared.http.sync.tombstone_or`).

The cursor names its order, so a cursor of one kind of list given to the other is a 400, not a
silently wrong page. ``updated_since`` is inclusive: a client passes the greatest ``updated_at``
it received and may see that item again, which an upsert on its side absorbs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from tread_shared.dates import plausible_datetime
from tread_shared.db.reading import Reader
from tread_shared.errors import Problem
from tread_shared.http.pagination import Page, PageParams, decode_cursor, encode_cursor
from tread_shared.http.sync import Tombstone

M = TypeVar("M")
T = TypeVar("T")

_BY_ID = "id"
_BY_UPDATE = "updated"


@dataclass
class Listed(Generic[M]):
    """One page of rows and the cursor of the next page (``None`` on the last one)."""

    rows: list[M]
    next_cursor: str | None


def sync_page(listed: Listed[M], render: Callable[[M], T]) -> Page[T | Tombstone]:
    """The HTTP page of ``listed``: ``render(row)`` for live rows, tombstones for deleted ones."""
    items: list[T | Tombstone] = []
    for row in listed.rows:
        entity: Any = row
        if entity.deleted_at is not None:
            items.append(Tombstone(id=entity.id, updated_at=entity.updated_at))
        else:
            items.append(render(row))
    return Page(items=items, next_cursor=listed.next_cursor)


def _invalid_cursor() -> Problem:
    return Problem("The cursor is not valid for this list.", status=400, slug="invalid-cursor")


def after_id(cursor: str) -> uuid.UUID:
    """The last id of the page before, from a plain list's cursor (a 400 problem if it is not
    one)."""
    tag, last_id = decode_cursor(cursor, 2)
    if tag != _BY_ID:
        raise _invalid_cursor()
    try:
        return uuid.UUID(last_id)
    except ValueError as exc:
        raise _invalid_cursor() from exc


def _after_id(model: Any, cursor: str) -> Any:
    return model.id > after_id(cursor)


def _after_update(model: Any, cursor: str) -> Any:
    tag, last_time, last_id = decode_cursor(cursor, 3)
    if tag != _BY_UPDATE:
        raise _invalid_cursor()
    try:
        time, row_id = datetime.fromisoformat(last_time), uuid.UUID(last_id)
    except ValueError as exc:
        raise _invalid_cursor() from exc
    if not plausible_datetime(time):
        raise _invalid_cursor()
    return or_(model.updated_at > time, and_(model.updated_at == time, model.id > row_id))


async def list_page(
    session: AsyncSession,
    query: Select[M],
    model: Any,
    page: PageParams,
    *,
    updated_since: datetime | None = None,
) -> Listed[M]:
    """One page of ``query`` (a ``select(model)`` with the caller's filters and scope).

    ``model`` has ``id``, ``updated_at`` and ``deleted_at`` columns (``EntityMixin``)."""
    if updated_since is None:
        query = query.where(model.deleted_at.is_(None)).order_by(model.id)
        if page.cursor:
            query = query.where(_after_id(model, page.cursor))
    else:
        query = query.where(model.updated_at >= updated_since).order_by(model.updated_at, model.id)
        if page.cursor:
            query = query.where(_after_update(model, page.cursor))
    rows = list((await session.scalars(query.limit(page.limit + 1))).all())
    return _cut(rows, page, updated_since)


async def live_page(
    reads: Reader, statement: Select[Any], values: dict[str, Any], page: PageParams
) -> Listed[Any]:
    """One page of a plain list from a statement made once and kept (bound parameters in
    ``values``; its columns those of :func:`~tread_shared.db.row_parts.labelled_columns`): live
    rows in id order after ``after_id`` when the page has a cursor, at most ``page.limit + 1``
    of them — what :func:`list_page` builds on every call — read as rows, not entities
    (:class:`~tread_shared.db.reading.Reader`)."""
    rows = await reads.all(statement, values)
    return _cut(rows, page, None)


def _cut(rows: list[M], page: PageParams, updated_since: datetime | None) -> Listed[M]:
    if len(rows) <= page.limit:
        return Listed(rows, None)
    rows = rows[: page.limit]
    last: Any = rows[-1]
    if updated_since is None:
        return Listed(rows, encode_cursor(_BY_ID, last.id))
    return Listed(rows, encode_cursor(_BY_UPDATE, last.updated_at.isoformat(), last.id))


def contains_text(column: Any, fragment: str) -> Any:
    """SQL: ``column`` contains ``fragment``, any case, ``%`` and ``_`` taken literally."""
    return column.ilike(text_pattern(fragment), escape="\\")


def text_pattern(fragment: str) -> str:
    """The ``ILIKE`` pattern (escape character ``\\``) of text containing ``fragment``."""
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
