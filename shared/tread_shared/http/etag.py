"""``ETag`` on mutable resources and ``If-Match`` on PATCH/PUT/DELETE.

The tag is the resource's version; a missing ``If-Match`` is 428, a stale one 412."""

from __future__ import annotations

import uuid

from fastapi import Request, Response

from tread_shared.errors import PreconditionFailed, PreconditionRequired


def etag_for(entity_id: uuid.UUID | str, version: int) -> str:
    """The strong ETag of ``entity_id`` at ``version``."""
    return f'"{entity_id}-v{version}"'


def set_etag(response: Response, entity_id: uuid.UUID | str, version: int) -> None:
    """Answer the entity's ETag, so that the client can send it back as If-Match."""
    response.headers["ETag"] = etag_for(entity_id, version)


def check_if_match(request: Request, entity_id: uuid.UUID | str, version: int) -> None:
    """Refuse a change unless the client saw the current version (RFC 9110 If-Match)."""
    header = request.headers.get("if-match")
    if header is None:
        raise PreconditionRequired(
            "Send If-Match with the ETag you last read, so that no one's change is lost."
        )
    current = etag_for(entity_id, version)
    # Strong comparison (RFC 9110 13.1.1): a weak tag ``W/"…"`` never matches.
    candidates = [tag.strip() for tag in header.split(",")]
    if "*" in candidates or current in candidates:
        return
    raise PreconditionFailed(
        "The resource changed since you read it; read it again and retry.",
        current_etag=current,
    )


def check_if_match_when_sent(request: Request, entity_id: uuid.UUID | str, version: int) -> None:
    """:func:`check_if_match` for a change where If-Match is optional: honoured when sent (a
    stale tag is a 412), never asked for (no 428). The API documents each route by which of
    the two it calls."""
    if request.headers.get("if-match") is not None:
        check_if_match(request, entity_id, version)
