"""``docs/settings.md``: every environment variable of every service, its default and meaning,
written from the settings classes so that it cannot drift from them (a test compares the file
with what this module writes; ``tread settings-doc`` rewrites it).

A field's meaning is its ``Field(description=...)`` when it has one, else the comment block just
above it in the class: the house style, so the classes stay readable as they are. A service field
that overrides a shared one (``http_port``) keeps the shared meaning.
"""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from pydantic.fields import FieldInfo

from tread_cli.services import SERVICES, Service
from tread_shared.settings import ServiceSettings

DOC_PATH = Path("docs") / "settings.md"

HEADER = """\
# Settings

<!-- Written by `tread settings-doc` from the settings classes: do not edit by hand. A test fails
when this file and the classes disagree. -->

A service reads its settings from environment variables named `<PREFIX><FIELD>`, the field in
capitals: `ACCOUNTS_DATABASE_URL` is `database_url` of the accounts service. Structured values
(lists, maps, nested settings) are JSON. Unknown variables are ignored, so a typo changes
nothing: `tests/test_compose.py` checks the compose file's names, and this page is the list.
How to run a service by hand, and the settings clients feel, are in
[the runbook](runbook.md#running-one-service-by-hand).
"""


@cache
def _comments_above_fields(settings_class: type) -> dict[str, str]:
    """The ``#`` comment block above each field of the class body. A block above several fields
    written together (no blank line between) describes them all: the first gets the text, the
    others a pointer to it."""
    try:
        source = textwrap.dedent(inspect.getsource(settings_class))
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    body = ast.parse(source).body[0]
    assert isinstance(body, ast.ClassDef)
    comments: dict[str, str] = {}
    group_head: str | None = None
    previous_end = -1
    for statement in body.body:
        if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
            group_head = None
            continue
        name = statement.target.id
        block: list[str] = []
        index = statement.lineno - 2
        while index >= 0 and lines[index].strip().startswith("#"):
            block.insert(0, lines[index].strip().lstrip("#").strip())
            index -= 1
        if block:
            comments[name] = " ".join(block)
            group_head = name
        elif group_head is not None and statement.lineno - 1 == previous_end:
            comments[name] = f"See `{group_head.upper()}`."
        else:
            group_head = None
        previous_end = statement.end_lineno or statement.lineno
    return comments


def field_meaning(settings_class: type[ServiceSettings], name: str) -> str:
    """The description of field ``name``: its own, or the nearest base class's."""
    for klass in settings_class.__mro__:
        if not (isinstance(klass, type) and issubclass(klass, ServiceSettings)):
            continue
        info = klass.model_fields.get(name)
        if info is not None and info.description:
            return info.description
        comment = _comments_above_fields(klass).get(name)
        if comment:
            return comment
    return ""


def _default(info: FieldInfo) -> str:
    factory = info.default_factory
    if factory is not None:
        call: Callable[[], Any] = factory  # type: ignore[assignment]
        first, second = call(), call()
        if first != second:
            return "*(new for each process)*"
        value = first
    else:
        value = info.default
    if value is None or value == "":
        return "*(unset)*"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str | int | float | Path):
        return f"`{value}`"
    encoded = TypeAdapter(Any).dump_python(value, mode="json")
    return f"`{json.dumps(encoded, separators=(', ', ': '))}`"


def _type(info: FieldInfo) -> str:
    annotation = info.annotation
    name = getattr(annotation, "__name__", None)
    text = name if name and not getattr(annotation, "__args__", None) else str(annotation)
    return text.replace("typing.", "").replace("pydantic.types.", "").replace("pathlib.", "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(rows: Iterable[tuple[str, str, str, str]]) -> list[str]:
    lines = ["| variable | type | default | meaning |", "| --- | --- | --- | --- |"]
    lines += [f"| {' | '.join(_cell(c) for c in row)} |" for row in rows]
    return lines


def _shared_section() -> list[str]:
    prefixes = ", ".join(f"`{s.env_prefix}`" for s in SERVICES)
    rows = [
        (
            f"`<PREFIX>{name.upper()}`",
            f"`{_type(info)}`",
            _default(info),
            field_meaning(ServiceSettings, name),
        )
        for name, info in ServiceSettings.model_fields.items()
    ]
    return [
        "## Every service",
        "",
        f"Each service reads these under its own prefix ({prefixes}); the defaults a service",
        "changes (its name and port) are in its own section.",
        "",
        *_table(rows),
        "",
    ]


def _service_section(service: Service) -> list[str]:
    settings_class = service.settings_class
    rows = []
    for name, info in settings_class.model_fields.items():
        shared = ServiceSettings.model_fields.get(name)
        if shared is not None and _default(shared) == _default(info):
            continue
        rows.append(
            (
                f"`{service.env_prefix}{name.upper()}`",
                f"`{_type(info)}`",
                _default(info),
                field_meaning(settings_class, name),
            )
        )
    module = inspect.getmodule(settings_class)
    intro = (module.__doc__ if module else None) or ""
    lines = [f"## {service.name}", ""]
    first_line = intro.strip().splitlines()[0] if intro.strip() else ""
    if first_line:
        lines += [first_line, ""]
    return [*lines, *_table(rows), ""]


def settings_markdown() -> str:
    """The whole of ``docs/settings.md``."""
    lines = [HEADER, *_shared_section()]
    for service in SERVICES:
        lines += _service_section(service)
    return "\n".join(lines).rstrip("\n") + "\n"
