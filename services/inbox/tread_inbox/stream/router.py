from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from tread_inbox.items.retention import check_resumable
from tread_inbox.items.router import Reader
from tread_inbox.settings import InboxSettings
from tread_inbox.stream.service import ChangeWatcher, changes
from tread_shared.errors import Problem

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])

STREAM_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "Server-Sent Events: ``item`` events (data: the item as GET"
        " /v1/inbox/{id} answers it, id: its position), and comment lines as heartbeats.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    400: {
        "description": "invalid-last-event-id: Last-Event-ID is not an event id this stream"
        " sends (a position: digits only)."
    },
    410: {
        "description": "sync-horizon-passed: a change after Last-Event-ID was forgotten (the"
        " sync horizon). List the inbox again, then open the stream without Last-Event-ID."
    },
}


@router.get("/stream", response_class=StreamingResponse, responses=STREAM_RESPONSES)
async def stream_inbox(
    request: Request,
    caller: Reader,
    settings: InboxSettings,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            max_length=20,
            description="The id of the last event received: resume after it, nothing lost."
            " 410 sync-horizon-passed when a change after it was forgotten (the sync horizon):"
            " list the inbox again, then open the stream without it.",
        ),
    ] = None,
) -> StreamingResponse:
    """The caller's item changes as they happen (new items, decisions taken, removals)."""
    after = None
    if last_event_id is not None:
        if not last_event_id.isdigit():
            raise Problem(
                "Last-Event-ID must be an event id this stream sent.",
                status=400,
                slug="invalid-last-event-id",
            )
        after = int(last_event_id)
    watcher: ChangeWatcher = request.app.state.change_watcher
    await check_resumable(watcher.db, after, settings)
    body = changes(watcher, caller, after, settings.stream_heartbeat_seconds)
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        # Proxies must pass each event on at once (nginx reads X-Accel-Buffering).
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
