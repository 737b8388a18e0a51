"""How much one browser session, and one network address, may send: "a cookie is not a person", so a new
cookie must not buy a fresh allowance. Limits are written like the room's flood limits (core.rules.
parse_flood, "20/60s,200/1h"); over one, the message is refused, not queued."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

SWEEP_EVERY = 1024  # checks between forgetting keys whose windows are empty


class Allowance:
    """Sliding windows per key: at most n events in s seconds, for each (n, s) given."""

    def __init__(self, limits: tuple[tuple[int, float], ...], clock: Callable[[], float] = time.monotonic) -> None:
        self.limits, self.clock = limits, clock
        self.longest = max((seconds for _, seconds in limits), default=0.0)
        self._events: dict[str, deque[float]] = {}
        self._checks = 0

    def take(self, key: str) -> float:
        """Count one event for `key` and return 0, or return the seconds to wait (and count nothing)."""
        now = self.clock()
        self._checks += 1
        if self._checks % SWEEP_EVERY == 0:
            self._sweep(now)
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.longest:
            events.popleft()
        wait = 0.0
        for count, seconds in self.limits:
            inside = [at for at in events if at > now - seconds]
            if len(inside) >= count:
                wait = max(wait, inside[-count] + seconds - now)
        if wait > 0:
            return wait
        events.append(now)
        return 0.0

    def _sweep(self, now: float) -> None:
        for key in [k for k, events in self._events.items() if not events or events[-1] <= now - self.longest]:
            del self._events[key]
