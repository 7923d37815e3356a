"""The event catalogue in docs/events/ describes every payload model as it is now."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tread_shared.events import catalogue
from tread_shared.events.catalogue import COMMAND, DOCS_DIR, SERVICES, catalogue_entries

PAYLOADS_DIR = Path(catalogue.__file__).parent / "payloads"


def test_the_committed_catalogue_matches_the_payload_models() -> None:
    stale = catalogue.differences(DOCS_DIR)
    assert not stale, (
        f"docs/events/ does not match the payload models ({', '.join(stale)}): run `{COMMAND}` "
        "and commit docs/events/"
    )


def test_every_payload_module_is_discovered_without_being_listed() -> None:
    catalogue_entries()
    modules = {path.stem for path in PAYLOADS_DIR.glob("*.py") if path.stem != "__init__"}
    assert modules >= {"platform", "accounts", "contracts"}
    for module in modules:
        assert f"tread_shared.events.payloads.{module}" in sys.modules


def test_every_event_type_has_a_description_a_subject_and_its_schema() -> None:
    entries = catalogue_entries()
    files = catalogue.render()
    for entry in entries:
        assert entry.description, f"{entry.model.__name__} has no docstring"
        assert entry.nats_subject == entry.event_type.rsplit(".", 1)[0]
        schema = json.loads(files[entry.schema_file])
        assert schema["properties"]["type"] == {"const": entry.event_type}
        data = schema["$defs"][entry.model.__name__]
        assert set(data["properties"]) == set(entry.model.model_fields)
        assert f"[`{entry.event_type}`]({entry.schema_file})" in files["README.md"]
    assert "envelope.schema.json" in files


def test_events_every_service_emits_are_listed_once_per_service() -> None:
    started = [e for e in catalogue_entries() if e.model.__name__ == "InstanceStarted"]
    assert [e.producer for e in started] == sorted(SERVICES)
    assert {e.event_type for e in started} == {f"tread.{s}.instance.started.v1" for s in SERVICES}


def test_the_check_names_stale_files_and_the_command_that_fixes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert catalogue.main(["--out", str(tmp_path)]) == 0
    assert catalogue.main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "tread.accounts.account.created.v1.schema.json").unlink()
    (tmp_path / "tread.accounts.account.renamed.v1.schema.json").write_text("{}")
    capsys.readouterr()

    assert catalogue.main(["--check", "--out", str(tmp_path)]) == 1

    message = capsys.readouterr().err
    assert "tread.accounts.account.created.v1.schema.json" in message
    assert "tread.accounts.account.renamed.v1.schema.json" in message
    assert COMMAND in message
    assert catalogue.main(["--out", str(tmp_path)]) == 0
    assert catalogue.differences(tmp_path) == []
    assert not (tmp_path / "tread.accounts.account.renamed.v1.schema.json").exists()
