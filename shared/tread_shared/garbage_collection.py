"""How often Python's cyclic garbage collector runs in Tread processes.

Left as it is, the collector runs every 700 net allocations and, every so often, walks every
object the process holds: a request that builds 20,000 report lines, or a replay of a million
events, spends a fifth to a third of its time there. Tread's code makes little cyclic garbage
(reference counting frees the rest at once), so collecting less often costs little memory."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from typing import Any

from tread_shared.observability.metrics import GC_PAUSE

# Collections of the youngest generation after this many net allocations (Python's: 700); the
# older generations keep Python's ratios.
BATCH_GC_THRESHOLDS = (50_000, 20, 100)


_timed: set[str] = set()


def time_pauses(service: str) -> None:
    """Time every collection of this process into ``tread_gc_pause_seconds`` (a pause stops
    every request in flight: what a p99 above the work's own cost often is). Once a process."""
    if service in _timed:
        return
    _timed.add(service)
    gc.callbacks.append(_pause_timer(service))


def _pause_timer(service: str) -> Callable[[str, dict[str, Any]], None]:
    by_generation = [GC_PAUSE.labels(service, str(generation)) for generation in range(3)]
    started = 0.0

    def timer(phase: str, info: dict[str, Any]) -> None:
        nonlocal started
        if phase == "start":
            started = time.perf_counter()
        else:
            by_generation[info["generation"]].observe(time.perf_counter() - started)

    return timer


def collect_less_often(gen0_threshold: int) -> None:
    """For a long-running service, once started: set aside what startup built (modules, the
    app; never garbage) and collect the youngest generation every ``gen0_threshold``
    allocations. ``0`` leaves Python's defaults."""
    if gen0_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(gen0_threshold, older, oldest)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect rarely for the duration of a batch job (a replay); then as before."""
    before = gc.get_threshold()
    gc.set_threshold(*BATCH_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
