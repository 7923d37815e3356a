import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from tread_cli.main import main
from tread_reporting import MIGRATIONS_DIR
from tread_shared.db.migrations import alembic_config
from tread_shared.testing.nats_server import free_port


def tread(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def test_migrate_brings_a_service_database_to_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = tread(capsys, "migrate", "--service", "reporting", "--var-dir", str(tmp_path))

    assert code == 0
    assert "migrated reporting" in out
    with sqlite3.connect(tmp_path / "reporting.db") as db:
        [(version,)] = db.execute("SELECT version_num FROM alembic_version_reporting").fetchall()
    config = alembic_config(MIGRATIONS_DIR, "sqlite+aiosqlite://", "reporting")
    assert version == ScriptDirectory.from_config(config).get_current_head()
    assert not (tmp_path / "accounts.db").exists()


def test_an_unreachable_postgres_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = f"postgresql+asyncpg://tread:secret@127.0.0.1:{free_port()}"

    code, _, err = tread(capsys, "migrate", "--var-dir", str(tmp_path), "--postgres", server)

    assert code == 1
    assert "cannot create the databases on postgresql+asyncpg://tread:***@127.0.0.1" in err
