"""What a long-running process sets up once started (bots/runtime.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bots import runtime


@pytest.fixture
def collector() -> Iterator[None]:
    """Put the collector back as the test process had it."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_started_sets_start_up_aside_and_collects_young_objects_less_often(collector: None) -> None:
    older = gc.get_threshold()[1:]
    before = gc.get_freeze_count()
    kept = [[n] for n in range(1000)]  # start-up's own objects, which live as long as the process
    runtime.started()
    assert gc.get_freeze_count() >= before + len(kept)
    assert gc.get_threshold() == (runtime.YOUNG_COLLECTION, *older)
