"""List parameters every list of the service takes besides ``limit`` and ``cursor``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query

from tread_shared.clock import as_utc
from tread_shared.dates import PlausibleTime


def _updated_since(
    updated_since: Annotated[
        PlausibleTime | None,
        Query(description="Only what changed at or after this time (UTC when no offset)"),
    ] = None,
) -> datetime | None:
    return as_utc(updated_since) if updated_since is not None else None


UpdatedSince = Annotated[datetime | None, Depends(_updated_since)]
