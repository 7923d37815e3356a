"""Identifiers: UUID v7, so that ids sort in creation order."""

from __future__ import annotations

import uuid

import uuid6


def new_id() -> uuid.UUID:
    """A new time-ordered UUID (v7)."""
    return uuid.UUID(bytes=uuid6.uuid7().bytes)
