"""Several tables read in one Core statement, each table's part of a row read like its entity.

A route that only renders can join what an ORM session would load in several round trips (an
entity, the row it belongs to, the directory entry its scope depends on) and select each
table's columns under a prefix of its own: :func:`labelled_columns` gives them (built once a
model, prefix and choice of columns), :class:`RowPart` reads one prefix's columns of a row by
the entity's attribute names. No session, identity map or instrumented attributes: what a
route renders, not something to change."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Row, inspect


@cache
def labelled_columns(model: Any, prefix: str = "", names: tuple[str, ...] = ()) -> tuple[Any, ...]:
    """``model``'s mapped columns (only ``names``, in that order, when given), each labelled
    ``prefix`` + its attribute name."""
    attributes = {attribute.key: attribute for attribute in inspect(model).column_attrs}
    chosen = [attributes[name] for name in names] if names else attributes.values()
    return tuple(attribute.columns[0].label(prefix + attribute.key) for attribute in chosen)


class RowPart:
    """The columns of ``row`` labelled ``prefix`` + name, read as attribute ``name``."""

    __slots__ = ("_prefix", "_row")

    def __init__(self, row: Row[Any], prefix: str) -> None:
        self._row = row
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, self._prefix + name)
