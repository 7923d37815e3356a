"""Account events → the directory."""

from __future__ import annotations

from tread_reporting.directory.models import AccountEntry
from tread_reporting.projection.registry import Landing, Projection
from tread_reporting.projection.writes import Writes
from tread_shared.directory.handlers import DIRECTORY_EVENTS
from tread_shared.events.payloads.accounts import AccountDeleted, AccountEvent

projection = Projection()


@projection.on(*DIRECTORY_EVENTS)
def account_entry(payload: AccountEvent, _at: Landing, writes: Writes) -> None:
    writes.upsert_newer(
        AccountEntry,
        {**payload.account.model_dump(), "deleted": isinstance(payload, AccountDeleted)},
    )
