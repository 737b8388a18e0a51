"""Answers that go out in the background, each after the answers before it to the same chat or person.

An adapter acknowledges a request once its event is stored and sends the replies from a task of its own,
so that sending never delays the acknowledgement. Two quick events of one person would then race: the
answer to the second could reach them before the answer to the first when the platform is slow for the
first. Each answer therefore waits for the one before it under the same key (Telegram: the chat; Slack:
the person) before its ordered part starts; different keys never wait for each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

Turn = Callable[[], Coroutine[Any, Any, None]]
"""Awaited by the work where its ordered part begins: returns once the key's earlier answers have ended."""


class InOrder:
    """The answers still going out, by key; each started with `start`, waited for by `drain`."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[None]] = set()
        self._latest: dict[str, asyncio.Task[None]] = {}  # each key's latest answer still going out

    def start(self, key: str, work: Callable[[Turn], Coroutine[Any, Any, None]]) -> asyncio.Task[None]:
        """Run `work(turn)` now in a task of its own. What it does before awaiting `turn()` (Telegram's
        toast: it stops the button's spinner) does not wait; what follows waits for the key's earlier answers,
        however they ended."""
        before = self._latest.get(key)

        async def turn() -> None:
            if before is not None:
                await asyncio.wait({before})

        task = asyncio.ensure_future(work(turn))
        self._latest[key] = task
        self._running.add(task)
        task.add_done_callback(partial(self._ended, key))
        return task

    async def drain(self) -> None:
        """Wait until no answer is going out (answers started meanwhile included)."""
        while self._running:
            await asyncio.wait(set(self._running))

    def _ended(self, key: str, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._latest.get(key) is task:
            del self._latest[key]
