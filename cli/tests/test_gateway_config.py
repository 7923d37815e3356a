"""``tread gateway-config`` prints the configuration the gateway runs with."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tread_cli.main import main
from tread_cli.services import SERVICES
from tread_cli.state import ProcessState, UpState, write_state


def _print(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(["gateway-config", *args])
    assert exit_.value.code in (0, None)
    return capsys.readouterr().out


def _running_stack(var_dir: Path, gateway_port: int, first_port: int) -> dict[str, int]:
    ports = {s.name: first_port + i for i, s in enumerate(SERVICES)}
    processes = [
        ProcessState(name, os.getpid(), url=f"http://127.0.0.1:{p}") for name, p in ports.items()
    ]
    write_state(
        var_dir,
        UpState(
            pid=os.getpid(),
            started_at="2026-12-07T00:00:00Z",
            var_dir=str(var_dir),
            gateway_url=f"http://127.0.0.1:{gateway_port}",
            nats_url="nats://127.0.0.1:4223",
            database="sqlite",
            processes=processes,
        ),
    )
    return ports


def test_the_ports_of_the_running_stack_unless_others_are_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ports = _running_stack(tmp_path, 18080, 18101)

    printed = _print(capsys, "--var-dir", str(tmp_path))
    asked = _print(capsys, "--var-dir", str(tmp_path), "--gateway-port", "19090")

    assert ":18080 {" in printed
    assert all(f"reverse_proxy 127.0.0.1:{port} " in printed for port in ports.values())
    assert ":19090 {" in asked and ":18080 {" not in asked


def test_without_a_running_stack_the_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ":8080 {" in _print(capsys, "--var-dir", str(tmp_path))
