"""An outage logs one line per kind per interval, with a count; a database outage has no traceback."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError

from bots.log_throttle import ThrottledLog


def test_repeated_failures_fold_into_one_line_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    throttled = ThrottledLog(logging.getLogger("t"), interval=60.0, clock=lambda: now[0])
    outage = OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
    with caplog.at_level(logging.ERROR):
        for _ in range(500):
            throttled.failure("telegram update", outage)
            now[0] += 0.04  # 20 s of failures
        throttled.failure("telegram update", ValueError("a bug"))  # another kind: logged at once
        now[0] += 60
        throttled.failure("telegram update", outage)
    lines = [r for r in caplog.records if r.name == "t"]
    assert len(lines) == 3
    assert "database unavailable" in lines[0].getMessage() and lines[0].exc_info is None
    assert lines[1].exc_info is not None  # a bug keeps its traceback
    assert "and 499 more like it" in lines[2].getMessage()
