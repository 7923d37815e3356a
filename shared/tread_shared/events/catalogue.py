"""The event catalogue in ``docs/events/``, generated from the payload models.

``python -m tread_shared.events.catalogue`` writes:

- ``envelope.schema.json``: the CloudEvents 1.0 envelope every event travels in, once;
- ``<event type>.schema.json`` for every event type: the event as it travels, the envelope with
  its ``type`` and ``source`` fixed and its ``data`` described by the payload model;
- ``asyncapi.json``: the same as an AsyncAPI 3 document (channels are NATS subjects);
- ``README.md``: a table of every event type, its NATS subject, its producer and what it means
  (the model's docstring).

Events every service emits (``service = None``, e.g. ``InstanceStarted``) get one entry per
service. ``--check`` writes nothing and exits 1 if ``docs/events/`` differs from what would be
written; the test suite runs the same check, so a new or changed payload model fails the suite
until the catalogue is generated again."""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.registry import EventPayload, all_payload_models

# The services that emit the events every service emits (``service = None``).
SERVICES = ("accounts", "actionplans", "contracts", "market-intel", "reporting", "inbox")
DOCS_DIR = Path(__file__).resolve().parents[3] / "docs" / "events"
COMMAND = "python -m tread_shared.events.catalogue"
JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE_FILE = "envelope.schema.json"
ASYNCAPI_FILE = "asyncapi.json"
README_FILE = "README.md"


@dataclass(frozen=True)
class CatalogueEntry:
    """One event type: who produces it, where it travels, and its payload model."""

    event_type: str
    producer: str
    model: type[EventPayload]

    @property
    def nats_subject(self) -> str:
        return nats_subject_for(self.event_type)

    @property
    def schema_file(self) -> str:
        return f"{self.event_type}.schema.json"

    @property
    def description(self) -> str:
        """The first paragraph of the model's docstring, on one line, in Markdown."""
        paragraph = inspect.cleandoc(self.model.__doc__ or "").split("\n\n")[0]
        return " ".join(paragraph.split()).replace("``", "`")


def catalogue_entries() -> list[CatalogueEntry]:
    """Every event type of Tread, by event type."""
    entries = []
    for model in all_payload_models():
        producers = [model.service] if model.service else list(SERVICES)
        for producer in producers:
            entries.append(CatalogueEntry(model.event_type(producer), producer, model))
    return sorted(entries, key=lambda entry: entry.event_type)


def render() -> dict[str, str]:
    """The catalogue's files: name → content."""
    entries = catalogue_entries()
    files = {ENVELOPE_FILE: _json(_envelope_schema())}
    for entry in entries:
        files[entry.schema_file] = _json(_event_schema(entry))
    files[ASYNCAPI_FILE] = _json(_asyncapi(entries))
    files[README_FILE] = _readme(entries)
    return files


def differences(directory: Path) -> list[str]:
    """The catalogue files in ``directory`` that are missing, stale, or no longer generated."""
    wanted = render()
    changed = [
        name
        for name, content in wanted.items()
        if not (directory / name).is_file() or (directory / name).read_text() != content
    ]
    return changed + [path.name for path in _generated_files(directory) if path.name not in wanted]


def write(directory: Path) -> list[str]:
    """Write the catalogue into ``directory`` (removing files of events that are gone);
    the names of the files that changed."""
    changed = differences(directory)
    directory.mkdir(parents=True, exist_ok=True)
    wanted = render()
    for path in _generated_files(directory):
        if path.name not in wanted:
            path.unlink()
    for name in changed:
        if name in wanted:
            (directory / name).write_text(wanted[name])
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tread_shared.events.catalogue [--check] [--out DIR]``."""
    parser = argparse.ArgumentParser(prog=COMMAND, description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the catalogue is stale")
    parser.add_argument("--out", type=Path, default=DOCS_DIR, help="default: %(default)s")
    args = parser.parse_args(argv)
    if args.check:
        stale = differences(args.out)
        if stale:
            print(
                f"{args.out} is out of date ({', '.join(stale)}); run: {COMMAND}",
                file=sys.stderr,
            )
            return 1
        print(f"{args.out} is up to date")
        return 0
    changed = write(args.out)
    print(f"{args.out}: {len(changed)} file(s) written")
    return 0


def _generated_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    names = {ASYNCAPI_FILE, README_FILE}
    return sorted(
        path
        for path in directory.iterdir()
        if path.is_file() and (path.name.endswith(".schema.json") or path.name in names)
    )


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _envelope_schema() -> dict[str, Any]:
    schema = CloudEvent.model_json_schema(mode="serialization")
    return {
        "$schema": JSON_SCHEMA,
        "$id": ENVELOPE_FILE,
        **schema,
        "description": (
            "The CloudEvents 1.0 envelope (JSON, structured mode) every Tread event travels in. "
            "`type` is `tread.<service>.<entity>.<verb>.v<N>`, `source` the producing service, "
            "`subject` the entity id; `correlationid` and `traceparent` carry the request's "
            "trace. The NATS message's `Nats-Msg-Id` header is the event `id`."
        ),
    }


def _event_schema(entry: CatalogueEntry) -> dict[str, Any]:
    payload = entry.model.model_json_schema(mode="serialization")
    definitions = payload.pop("$defs", {})
    definitions[entry.model.__name__] = payload
    return {
        "$schema": JSON_SCHEMA,
        "$id": entry.schema_file,
        "title": entry.event_type,
        "description": entry.description,
        "x-tread-producer": entry.producer,
        "x-tread-nats-subject": entry.nats_subject,
        "allOf": [{"$ref": ENVELOPE_FILE}],
        "properties": {
            "type": {"const": entry.event_type},
            "source": {"const": entry.producer},
            "data": {"$ref": f"#/$defs/{entry.model.__name__}"},
        },
        "$defs": dict(sorted(definitions.items())),
    }


def _asyncapi(entries: list[CatalogueEntry]) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for entry in entries:
        channel_id = entry.nats_subject.replace(".", "_")
        message_ref = {"$ref": f"#/components/messages/{entry.event_type}"}
        messages[entry.event_type] = {
            "name": entry.event_type,
            "title": entry.model.__name__,
            "summary": entry.description,
            "contentType": "application/cloudevents+json",
            "payload": {"$ref": entry.schema_file},
        }
        channel = channels.setdefault(channel_id, {"address": entry.nats_subject, "messages": {}})
        channel["messages"][entry.event_type] = message_ref
        operation = operations.setdefault(
            f"{channel_id}_send",
            {
                "action": "send",
                "summary": f"{entry.producer} publishes through its outbox",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "messages": [],
            },
        )
        operation["messages"].append(
            {"$ref": f"#/channels/{channel_id}/messages/{entry.event_type}"}
        )
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Tread events",
            "version": "1.0.0",
            "description": (
                f"Generated by `{COMMAND}`. One JetStream stream `TREAD` over `tread.>`; "
                "each message is a CloudEvent (envelope.schema.json)."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def _readme(entries: list[CatalogueEntry]) -> str:
    lines = [
        "# Event catalogue",
        "",
        f"Generated by `{COMMAND}` from the payload models in",
        "`shared/tread_shared/events/payloads/`: do not edit by hand. The test suite fails when",
        "this folder no longer matches the models.",
        "",
        "Every event travels as a CloudEvents 1.0 JSON envelope",
        f"([{ENVELOPE_FILE}]({ENVELOPE_FILE})) on the JetStream stream `TREAD` (`tread.>`), on the",
        "NATS subject `tread.<service>.<entity>.<verb>`, with `Nats-Msg-Id` = the event id. Each",
        "type's schema below describes the whole event, its `data` by the payload model. The same",
        f"in AsyncAPI 3: [{ASYNCAPI_FILE}]({ASYNCAPI_FILE}).",
        "",
        f"{len(entries)} event types.",
        "",
        "| Event type | NATS subject | Producer | Description |",
        "|---|---|---|---|",
    ]
    for entry in entries:
        description = entry.description.replace("|", "\\|")
        lines.append(
            f"| [`{entry.event_type}`]({entry.schema_file}) | `{entry.nats_subject}` "
            f"| {entry.producer} | {description} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
