"""Pacing for Telegram's limits: ~1 msg/s per private chat, 20/min per group, ~30/s per bot.

Each chat has its own limiter and lock, so a busy or paused chat never delays another chat:
a send waits only on its own chat's limiter and then on the bot-wide one. Everything is
asyncio (one event loop, no threads), so the state needs no locks beyond FIFO ordering.
"""

from __future__ import annotations

import time

from adapters.pacing import Limiter, SlidingWindow, TokenBucket, per_second

__all__ = ["ChatPacer", "Limiter", "SlidingWindow", "TokenBucket", "per_second"]


class ChatPacer:
    """Per-chat limiters plus one bot-wide limiter; remembers 429 pauses per chat or globally."""

    SWEEP_EVERY = 1024

    def __init__(
        self,
        max_per_second: float,
        *,
        private_rate: float = 1.0,
        private_burst: int = 3,
        group_limit: tuple[int, float] = (20, 60.0),
        flood_window: float = 1.0,
        bot_wide: Limiter | None = None,
    ) -> None:
        if max_per_second <= 0:
            raise ValueError("max_per_second must be positive")
        self.bot_wide: Limiter = bot_wide or per_second(max_per_second)
        """`bot_wide`: shared with the other processes of this bot (adapters.pacing.SharedLimiter)."""
        self._private = (private_rate, private_burst)
        self._group_limit = group_limit
        """(messages, seconds) per group: Telegram's ~20 a minute, shared by all topics of a forum."""
        self._flood_window = flood_window
        self._chats: dict[str, Limiter] = {}
        self._created = 0
        self._last_429: tuple[float, str] | None = None

    def chat(self, chat_id: str) -> Limiter:
        """The limiter for one chat; groups and channels have negative ids."""
        limiter = self._chats.get(chat_id)
        if limiter is None:
            self._created += 1
            if self._created % self.SWEEP_EVERY == 0:
                self._sweep()
            if chat_id.startswith("-"):
                count, window = self._group_limit
                # A little longer than Telegram's window: requests reach it later than they leave here,
                # and unevenly, so a window timed exactly here could still be one over there.
                limiter = SlidingWindow(count, window + min(1.0, window * 0.05))
            else:
                limiter = TokenBucket(*self._private)
            self._chats[chat_id] = limiter
        return limiter

    async def wait_turn(self, chat_id: str) -> None:
        """Wait for this chat's turn, then the bot's; other chats are not held up meanwhile."""
        await self.chat(chat_id).acquire()
        await self.bot_wide.acquire()

    def pause(self, chat_id: str, seconds: float) -> None:
        """After a 429 for this chat. A 429 from two chats within `flood_window` means the bot-wide
        flood limit was hit (Telegram does not say which), so then everything pauses."""
        self.chat(chat_id).pause(seconds)
        now = time.monotonic()
        if self._last_429 and self._last_429[1] != chat_id and now - self._last_429[0] <= self._flood_window:
            self.bot_wide.pause(seconds)
        self._last_429 = (now, chat_id)

    def _sweep(self) -> None:
        """Forget chats whose limiters are back to rest, so memory follows active chats only."""
        for chat_id in [c for c, limiter in self._chats.items() if limiter.idle()]:
            del self._chats[chat_id]
