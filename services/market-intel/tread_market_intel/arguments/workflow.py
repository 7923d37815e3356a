"""The selling-argument workflow.

    draft → submitted → validated → retired

An author (central, a district or key account manager) writes a draft and submits it; central
validates it — or sends it back to draft — and later retires it. Any other move is a 409 that
names the moves allowed. The text changes only while a draft, each change a new version; only
validated arguments are shown to the field (authors also see their own)."""

from __future__ import annotations

from typing import Literal

ArgumentStatus = Literal["draft", "submitted", "validated", "retired"]

TRANSITIONS: dict[str, tuple[ArgumentStatus, ...]] = {
    "draft": ("submitted",),
    "submitted": ("validated", "draft"),
    "validated": ("retired",),
    "retired": (),
}
# Moves that only central (or an admin) makes: what the field is told is central's call.
CENTRAL_MOVES: frozenset[str] = frozenset({"validated", "retired", "draft"})


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, ())
