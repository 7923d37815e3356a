"""``var/tread-up.json``: what ``tread up`` runs, so ``tread status`` (and a second
``tread up``) can find it."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tread_cli.processes import pid_alive

STATE_FILE = "tread-up.json"


@dataclass
class ProcessState:
    name: str
    pid: int | None
    url: str = ""
    ready_url: str = ""
    log: str = ""
    restarts: int = 0


@dataclass
class UpState:
    pid: int
    started_at: str
    var_dir: str
    gateway_url: str
    nats_url: str
    database: str
    processes: list[ProcessState] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        return pid_alive(self.pid)


def state_path(var_dir: Path) -> Path:
    return var_dir / STATE_FILE


def write_state(var_dir: Path, state: UpState) -> None:
    path = state_path(var_dir)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(state), indent=2) + "\n")
    os.replace(temporary, path)  # readers never see half a file


def read_state(var_dir: Path) -> UpState | None:
    try:
        raw: dict[str, Any] = json.loads(state_path(var_dir).read_text())
    except (FileNotFoundError, ValueError):
        return None
    processes = [ProcessState(**p) for p in raw.pop("processes", [])]
    return UpState(**raw, processes=processes)


def clear_state(var_dir: Path) -> None:
    state_path(var_dir).unlink(missing_ok=True)
