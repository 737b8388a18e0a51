"""One log line per kind of failure per interval, with a count: an outage must not write megabytes.

During a database outage every request fails the same way; a traceback for each of them (~3 MB for
20 seconds) buries what an operator needs. The first failure of a kind in an interval is logged (with
its traceback if it is not a known outage), the rest are counted and reported with the next line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.db import is_database_failure


@dataclass
class _Kind:
    since: float
    folded: int = 0


class ThrottledLog:
    def __init__(self, logger: logging.Logger, interval: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.logger, self.interval, self.clock = logger, interval, clock
        self._kinds: dict[str, _Kind] = {}

    def failure(self, what: str, error: BaseException) -> None:
        """Log `what` failed with `error`, unless the same kind was logged within the interval."""
        outage = is_database_failure(error)
        kind = f"{what}:{type(error).__name__}"
        now = self.clock()
        seen = self._kinds.get(kind)
        if seen is not None and now - seen.since < self.interval:
            seen.folded += 1
            return
        folded = seen.folded if seen is not None else 0
        self._kinds[kind] = _Kind(since=now)
        more = f" (and {folded} more like it in the last {self.interval:.0f} s)" if folded else ""
        if outage:  # not a bug: the cause in one line is what helps
            self.logger.error("%s: database unavailable: %s: %s%s", what, type(error).__name__,
                              str(error).splitlines()[0][:300] if str(error) else "", more)
        else:
            self.logger.error("%s: %r%s", what, error, more, exc_info=error)
