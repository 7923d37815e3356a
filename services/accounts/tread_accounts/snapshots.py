"""What an event says of a row: the payload model's fields read off the row."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def snapshot(model: type[M], row: object, **values: Any) -> M:
    """``model`` with each field taken from ``values`` if given there, else from the row's
    attribute of that name (events name the row's ``id`` ``<entity>_id``: pass it)."""
    return model.model_validate(
        {
            name: values[name] if name in values else getattr(row, name)
            for name in model.model_fields
        }
    )
