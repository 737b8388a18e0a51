"""A token bucket for the API doubles: `rate` calls a second with bursts of `burst`, as the platforms
describe their limits (a platform counts what reaches it, so a sender's jitter must not count as excess)."""

from __future__ import annotations

import math
import time


class Bucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = burst, time.monotonic()

    def take(self) -> int | None:
        """None when the call may pass (counted); else the whole seconds to wait, for a 429."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return max(1, math.ceil((1 - self.tokens) / self.rate))
