"""The base of a request body."""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


class JsonBody(BaseModel):
    """A request body whose fields documented as a boolean take only ``true`` or ``false``, and
    whose integer fields never take a boolean. (Pydantic's lax mode, which FastAPI's validation
    of a parsed body uses, would take ``0`` or ``"yes"`` as false and ``true`` as 1; its strict
    mode cannot be used, as it would refuse dates and ids sent as JSON strings.)"""

    @field_validator("*", mode="before")
    @classmethod
    def _json_scalars_as_documented(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is None or value is None:
            return value
        kind = _scalar_kinds(cls).get(info.field_name)
        if kind is bool and not isinstance(value, bool):
            raise ValueError("should be true or false")
        if kind is int and isinstance(value, bool):
            raise ValueError("should be an integer, not true or false")
        return value


class Input(JsonBody):
    """A request body: unknown fields (ids, ``version``, …) are refused, never ignored;
    booleans and integers as documented (:class:`JsonBody`)."""

    model_config = ConfigDict(extra="forbid")


@cache
def _scalar_kinds(model: type[BaseModel]) -> dict[str, type]:
    """The fields of ``model`` that are a boolean or an integer (optional or not)."""
    kinds: dict[str, type] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if typing.get_origin(annotation) in (Union, types.UnionType):
            arms = [arm for arm in typing.get_args(annotation) if arm is not type(None)]
            annotation = arms[0] if len(arms) == 1 else None
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        if annotation is bool:
            kinds[name] = bool
        elif annotation is int:
            kinds[name] = int
    return kinds
