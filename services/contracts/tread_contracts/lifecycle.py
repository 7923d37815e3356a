"""The one way a lifecycle step refuses to run out of order: 409, and nothing changes."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from tread_shared.errors import Conflict


def require_status(
    what: str, entity_id: uuid.UUID, status: str, allowed: Collection[str], step: str
) -> None:
    """Refuse ``step`` unless ``status`` is one of ``allowed``."""
    if status not in allowed:
        expected = " or ".join(sorted(allowed))
        raise Conflict(
            f"{what} {entity_id} is {status}: it can be {step} only when {expected}.",
            slug="illegal-transition",
            status_now=status,
        )
