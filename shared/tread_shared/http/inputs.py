"""The base of a request body."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Input(BaseModel):
    """A request body: unknown fields (ids, ``version``, …) are refused, never ignored."""

    model_config = ConfigDict(extra="forbid")
