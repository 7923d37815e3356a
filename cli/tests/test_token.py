import subprocess
import sys
from pathlib import Path

import pytest

from tread_cli.main import main
from tread_cli.tokens import key_dir, public_key_file
from tread_shared.auth.tokens import TokenVerifier
from tread_shared.errors import Unauthorized
from tread_shared.settings import ServiceSettings


def tread_token(var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    public_key_file(var_dir)  # the keys tread up makes
    return subprocess.run(
        [sys.executable, "-m", "tread_cli", "token", "--var-dir", str(var_dir), *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def mint(capsys: pytest.CaptureFixture[str], var_dir: Path, *args: str) -> tuple[int, str, str]:
    """``tread token`` in this process: (exit code, stdout, stderr)."""
    public_key_file(var_dir)  # the keys tread up makes
    with pytest.raises(SystemExit) as exit_:
        main(["token", "--var-dir", str(var_dir), *args])
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def verifier_of(var_dir: Path) -> TokenVerifier:
    """What a service started by ``tread up`` checks tokens with: its default settings and
    the public key ``tread up`` hands it."""
    public_key = key_dir(var_dir) / "dev-jwt-public.pem"
    return TokenVerifier.from_settings(ServiceSettings(jwt_public_key_file=public_key))


async def test_the_token_alone_on_stdout_passes_a_service_check(tmp_path: Path) -> None:
    done = tread_token(
        tmp_path,
        "--sub", "am-42",
        "--role", "account_manager",
        "--role", "district_manager",
        "--territory", "north",
        "--territory", "east",
        "--name", "Ana Silva",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].count(".") == 2
    principal = await verifier_of(tmp_path).verify(lines[0])
    assert principal.sub == "am-42"
    assert principal.name == "Ana Silva"
    assert principal.roles == {"account_manager", "district_manager"}
    assert principal.territories == {"north", "east"}


async def test_tokens_of_another_var_dir_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    mint(capsys, mine, "--sub", "x", "--role", "admin")
    foreign = mint(capsys, theirs, "--sub", "x", "--role", "admin")[1].strip()

    with pytest.raises(Unauthorized):
        await verifier_of(mine).verify(foreign)


async def test_the_key_pair_is_made_once_and_reused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = mint(capsys, tmp_path, "--sub", "a", "--role", "central")[1].strip()
    public_key = (key_dir(tmp_path) / "dev-jwt-public.pem").read_text()
    mint(capsys, tmp_path, "--sub", "b", "--role", "central")

    await verifier_of(tmp_path).verify(first)

    assert (key_dir(tmp_path) / "dev-jwt-public.pem").read_text() == public_key


def test_an_unknown_role_is_refused_with_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = mint(capsys, tmp_path, "--sub", "a", "--role", "superuser")

    assert code == 2
    assert out == ""
    assert "key_account_manager" in err


def test_without_the_stack_s_keys_it_says_where_it_looked_and_makes_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A token signed by keys made on the spot would be refused by the running stack."""
    with pytest.raises(SystemExit) as exit_:
        main(["token", "--var-dir", str(tmp_path / "elsewhere"), "--sub", "a", "--role", "admin"])
    out, err = capsys.readouterr()

    assert exit_.value.code == 2
    assert out == ""
    assert str(key_dir(tmp_path / "elsewhere")) in err and "tread up" in err
    assert not (tmp_path / "elsewhere").exists()
