import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tread_cli.processes import Child, pid_alive
from tread_cli.supervisor import StartupFailed, Supervisor


def python_child(tmp_path: Path, name: str, code: str) -> Child:
    return Child(
        name=name,
        argv=[sys.executable, "-c", textwrap.dedent(code)],
        env={},
        log_path=tmp_path / f"{name}.log",
        url="http://127.0.0.1:9",
        ready_url="http://127.0.0.1:9/readyz",
    )


def wait_for(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_crashing_child_is_restarted_with_growing_backoff(tmp_path: Path) -> None:
    reports: list[str] = []
    child = python_child(tmp_path, "flaky", "import sys; print('boom'); sys.exit(3)")
    supervisor = Supervisor([child], reports.append)
    supervisor.start_all()
    try:
        deadline = time.monotonic() + 3.0
        while child.restarts < 2 and time.monotonic() < deadline:
            supervisor.check_once()
            time.sleep(0.05)
    finally:
        supervisor.stop_all()

    assert child.restarts == 2
    crashes = [r for r in reports if "stopped after" in r]
    assert "exit code 3" in crashes[0] and "restarting in 0.5s" in crashes[0]
    assert "restarting in 1.0s" in crashes[1]
    assert "boom" in crashes[0]  # its last words


def test_stopping_a_child_stops_what_it_spawned(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    child = Child(
        name="shell",
        argv=["sh", "-c", f"sleep 60 & echo $! > {pid_file}; wait"],
        env={},
        log_path=tmp_path / "shell.log",
    )
    child.start()
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip())
    grandchild = int(pid_file.read_text())

    child.stop()

    assert not child.running
    wait_for(lambda: not pid_alive(grandchild), timeout=2)


def test_a_child_ignoring_sigterm_is_killed(tmp_path: Path) -> None:
    child = python_child(
        tmp_path,
        "stubborn",
        """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ignoring SIGTERM", flush=True)
        time.sleep(60)
        """,
    )
    child.start()
    wait_for(lambda: "ignoring" in child.log_tail())

    started = time.monotonic()
    child.stop(timeout=0.5)

    assert child.exit_code() == -signal.SIGKILL
    assert time.monotonic() - started < 3


def test_children_die_with_tread_even_when_it_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import time
                from pathlib import Path
                from tread_cli.processes import Child
                child = Child("sleeper", ["sleep", "60"], {{}}, Path({str(tmp_path)!r}) / "s.log")
                child.start()
                Path({str(pid_file)!r}).write_text(str(child.pid))
                time.sleep(60)
                """
            ),
        ]
    )
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text())
        orphan = int(pid_file.read_text())
        assert pid_alive(orphan)

        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()

        wait_for(lambda: not pid_alive(orphan), timeout=3)
    finally:
        parent.kill()
        parent.wait()


def test_a_child_exiting_during_startup_fails_the_start(tmp_path: Path) -> None:
    child = python_child(tmp_path, "broken", "raise SystemExit('no database')")
    supervisor = Supervisor([child], lambda _message: None)
    supervisor.start_all()
    try:
        with pytest.raises(StartupFailed, match="broken stopped while starting"):
            supervisor.wait_ready(timeout=10)
    finally:
        supervisor.stop_all()
