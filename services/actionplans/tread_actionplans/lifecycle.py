"""A lifecycle as a table of allowed moves: ``{status: {step: next status}}``. A step the
table does not allow from the current status is one 409 naming the steps that are allowed, and
nothing changes (the request's transaction rolls back)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from tread_shared.errors import Conflict

Moves = Mapping[str, Mapping[str, str]]


def allowed_steps(moves: Moves, status: str) -> list[str]:
    return sorted(moves.get(status, {}))


def next_status(what: str, moves: Moves, entity_id: uuid.UUID, status: str, step: str) -> str:
    """The status ``step`` leads to from ``status``; 409 when the table has no such move."""
    target = moves.get(status, {}).get(step)
    if target is None:
        allowed = allowed_steps(moves, status)
        steps = " or ".join(allowed) if allowed else "nothing more"
        raise Conflict(
            f"{what} {entity_id} is {status}: it cannot {step}; allowed now: {steps}.",
            slug="illegal-transition",
            status_now=status,
            allowed=allowed,
        )
    return target
