"""Generic send pacing: FIFO limiters (token bucket, sliding window) and a per-key table of them.

Shared by the platform senders (Telegram's per-chat limits, Slack's ~1 message per second per
channel). Everything is asyncio (one event loop, no threads), so the state needs no locks beyond
FIFO ordering.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable

from bots.ports import SharedRate

log = logging.getLogger(__name__)


class Limiter(ABC):
    """A FIFO gate with an optional pause (after a 429); subclasses decide how often it opens."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self.paused_until = 0.0

    async def acquire(self) -> None:
        """Wait until this limiter allows one more send, then count it."""
        async with self._lock:
            while True:
                now = time.monotonic()
                delay = max(self.paused_until - now, self._delay(now))
                if delay <= 0:
                    self._take(now)
                    return
                await asyncio.sleep(delay)

    def pause(self, seconds: float) -> None:
        """Allow nothing for `seconds` (the platform's Retry-After), never shortening a longer pause."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    def idle(self) -> bool:
        """True when forgetting this limiter would change nothing (safe to evict)."""
        now = time.monotonic()
        return not self._lock.locked() and self.paused_until <= now and self._rested(now)

    @abstractmethod
    def _delay(self, now: float) -> float: ...

    @abstractmethod
    def _take(self, now: float) -> None: ...

    @abstractmethod
    def _rested(self, now: float) -> bool: ...


class TokenBucket(Limiter):
    """`rate` sends per second on average, with short bursts of up to `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        super().__init__()
        self.rate, self.burst = rate, float(burst)
        self._tokens, self._at = self.burst, time.monotonic()

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def _delay(self, now: float) -> float:
        self._refill(now)
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def _take(self, now: float) -> None:
        self._tokens -= 1

    def _rested(self, now: float) -> bool:
        self._refill(now)
        return self._tokens >= self.burst


class SlidingWindow(Limiter):
    """At most `limit` sends in any `window` seconds — how Telegram states its group and bot limits."""

    def __init__(self, limit: int, window: float) -> None:
        super().__init__()
        self.limit, self.window = limit, window
        self._sent: deque[float] = deque()

    def _forget(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()

    def _delay(self, now: float) -> float:
        self._forget(now)
        return 0.0 if len(self._sent) < self.limit else self._sent[0] + self.window - now

    def _take(self, now: float) -> None:
        self._sent.append(now)

    def _rested(self, now: float) -> bool:
        self._forget(now)
        return not self._sent


class SharedLimiter(Limiter):
    """An account-wide limit kept together with the other processes sending for the account: each send
    takes the next slot of a rate they all share (bots.ports.SharedRate, a database row) and waits for it.
    Should that store fail, this process keeps to the whole limit on its own until it answers again."""

    def __init__(self, shared: SharedRate, key: str, rate: float) -> None:
        super().__init__()
        self.shared, self.key, self.gap = shared, key, 1.0 / rate
        self.alone = per_second(rate)
        self._holds: set[asyncio.Task[None]] = set()

    async def acquire(self) -> None:
        try:
            wait = await self.shared.take(self.key, self.gap)
        except Exception as error:  # the database is failing: pace alone, better than not at all
            log.warning("shared send rate %s unavailable (%s): pacing this process alone", self.key, error)
            await self.alone.acquire()
            return
        wait = max(wait, self.paused_until - time.monotonic())
        if wait > 0:
            await asyncio.sleep(wait)

    def pause(self, seconds: float) -> None:
        super().pause(seconds)
        hold = asyncio.get_running_loop().create_task(self._hold(seconds))
        self._holds.add(hold)
        hold.add_done_callback(self._holds.discard)

    async def _hold(self, seconds: float) -> None:
        try:
            await self.shared.hold(self.key, seconds)
        except Exception as error:
            log.warning("shared send rate %s: a pause could not be shared (%s)", self.key, error)

    def _delay(self, now: float) -> float:
        return 0.0

    def _take(self, now: float) -> None:
        return None

    def _rested(self, now: float) -> bool:
        return True


def per_second(rate: float) -> SlidingWindow:
    """A bot-wide limiter for `rate` sends per second, including fractional rates."""
    limit = max(1, int(rate))
    return SlidingWindow(limit, limit / rate)


class Limiters:
    """One limiter per key (chat, channel), made on first use; idle ones are forgotten now and then."""

    SWEEP_EVERY = 1024

    def __init__(self, make: Callable[[str], Limiter]) -> None:
        self._make = make
        self._items: dict[str, Limiter] = {}
        self._created = 0

    def get(self, key: str) -> Limiter:
        limiter = self._items.get(key)
        if limiter is None:
            self._created += 1
            if self._created % self.SWEEP_EVERY == 0:
                self.sweep()
            limiter = self._items[key] = self._make(key)
        return limiter

    def sweep(self) -> None:
        """Forget limiters that are back to rest, so memory follows active keys only."""
        for key in [k for k, limiter in self._items.items() if limiter.idle()]:
            del self._items[key]

    def __len__(self) -> int:
        return len(self._items)
