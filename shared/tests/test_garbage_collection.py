"""Services collect garbage less often once started; a replay collects rarely while it runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tread_shared.garbage_collection import (
    BATCH_GC_THRESHOLDS,
    collect_less_often,
    fewer_collections,
)


@pytest.fixture
def restored_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)
    gc.unfreeze()


def test_a_started_service_collects_every_so_many_allocations(restored_gc: None) -> None:
    _, older, oldest = gc.get_threshold()
    collect_less_often(40_000)
    assert gc.get_threshold() == (40_000, older, oldest)
    assert gc.get_freeze_count() > 0, "what startup built is set aside"


def test_zero_leaves_python_as_it_is(restored_gc: None) -> None:
    before = gc.get_threshold()
    collect_less_often(0)
    assert gc.get_threshold() == before


def test_a_batch_job_collects_rarely_then_as_before(restored_gc: None) -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == BATCH_GC_THRESHOLDS
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("the replay failed")
    assert gc.get_threshold() == before
