from pathlib import Path

from tread_cli.main import main
from tread_cli.services import SERVICES
from tread_cli.settings_doc import DOC_PATH, field_meaning, settings_markdown
from tread_shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]


def test_docs_settings_md_is_what_the_settings_classes_say() -> None:
    written = (ROOT / DOC_PATH).read_text(encoding="utf-8")
    assert written == settings_markdown(), (
        f"{DOC_PATH} is out of date: run `.venv/bin/tread settings-doc` and commit it"
    )


def test_every_variable_of_every_service_is_listed() -> None:
    text = settings_markdown()
    for name in ServiceSettings.model_fields:
        assert f"`<PREFIX>{name.upper()}`" in text
    for service in SERVICES:
        for name in service.settings_class.model_fields.keys() - ServiceSettings.model_fields:
            assert f"`{service.env_prefix}{name.upper()}`" in text


def test_every_shared_setting_says_what_it_means() -> None:
    unexplained = [n for n in ServiceSettings.model_fields if not field_meaning(ServiceSettings, n)]
    assert unexplained == []


def test_a_service_override_keeps_the_shared_meaning() -> None:
    accounts = next(s for s in SERVICES if s.name == "accounts")
    assert field_meaning(accounts.settings_class, "http_port") == field_meaning(
        ServiceSettings, "http_port"
    )


def test_tread_settings_doc_writes_the_file(tmp_path: Path) -> None:
    output = tmp_path / "settings.md"
    try:
        main(["settings-doc", "--output", str(output)])
    except SystemExit as exit_:
        assert exit_.code == 0
    assert output.read_text(encoding="utf-8") == settings_markdown()
