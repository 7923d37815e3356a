"""Bounded, trimmed strings shared by the accounts API's schemas: oversized input is a 422."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
PersonId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]


def refuse_nulls(values: dict[str, object], fields: tuple[str, ...]) -> None:
    """In a PATCH, ``null`` clears a field; these fields cannot be cleared."""
    cleared = [name for name in fields if name in values and values[name] is None]
    if cleared:
        raise ValueError(f"cannot be null: {', '.join(cleared)}")
