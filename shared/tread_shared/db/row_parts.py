"""Several tables read in one Core statement, each table's part of a row read like its entity.

A route that only renders can join what an ORM session would load in several round trips (an
entity, the row it belongs to, the directory entry its scope depends on) and select each
table's columns under a prefix of its own: :func:`labelled_columns` gives them (built once a
model, prefix and choice of columns), :class:`RowPart` reads one prefix's columns of a row by
the entity's attribute names. No session, identity map or instrumented attributes: what a
route renders, not something to change. :func:`union_of_parts` reads several short lists of
different tables in one statement."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Row,
    Select,
    cast,
    inspect,
    literal_column,
    null,
    union_all,
)


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


def union_of_parts(*parts: Select[Any]) -> CompoundSelect[Any]:
    """``parts`` (selects of different columns, each labelled) in one statement: a UNION ALL
    of them all, each row with its part's number in column ``part`` (0 for the first) and its
    part's columns under their labels, the other parts' columns NULL. A NULL is cast to its
    column's type: PostgreSQL types a UNION's columns branch by branch (two untyped NULLs make
    text, which a date then does not match), and every backend then reads each column's values
    as its type says. A column of the same label in two parts is one column (of one type).
    Order the union by ``part`` first to read the parts one after the other."""
    types: dict[str, Any] = {}
    for part in parts:
        for name, column in part.selected_columns.items():
            types.setdefault(name, column.type)
    branches = []
    for number, part in enumerate(parts):
        own = dict(part.selected_columns.items())
        columns = [
            own[name] if name in own else cast(null(), kind).label(name)
            for name, kind in types.items()
        ]
        number_column = literal_column(str(number), Integer).label("part")
        branches.append(part.with_only_columns(number_column, *columns))
    return union_all(*branches)
