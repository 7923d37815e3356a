"""Response models built from values that are already what their fields hold, unvalidated.

A read that renders rows builds one model per row: validating again values that came from
typed columns (written from validated input) or were computed from them is pure cost, and
pydantic's ``model_construct``, written in Python, is no cheaper than its compiled validation
for a model of a dozen fields (14 against 9 us for a partnership list item; 7 against 2 us for
:class:`~tread_shared.money.Money`, whose validators are Python). :func:`trusted` sets the
instance's fields straight: 1-2 us whatever the model.

The caller vouches for the values (each of its field's type, as validation would give it);
every field must be given, none other, so nothing is left to a default by mistake. Only for
models without private attributes or extra fields (checked once a model)."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_set = object.__setattr__


@cache
def _fields(model: type[BaseModel]) -> Any:
    if model.__private_attributes__ or model.model_config.get("extra") == "allow":
        raise TypeError(f"{model.__name__} has private attributes or extra fields")
    return model.model_fields.keys()


def trusted(model: type[M], **values: Any) -> M:
    """An instance of ``model`` holding ``values`` as they are (see the module's notes)."""
    fields = _fields(model)
    if values.keys() != fields:
        raise TypeError(f"{model.__name__} takes exactly the fields {sorted(fields)}")
    instance = model.__new__(model)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", set(values))
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance
