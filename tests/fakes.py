"""Fakes of our own seams, shared by the tests of several layers (never of a platform: those are the
API doubles in tests/doubles/)."""

from __future__ import annotations

import asyncio
import re

from bots.neutral import Message, plain_text


class FakeSender:
    """Records what it sends; raises the errors queued for a chat, one per send, before succeeding."""

    def __init__(self, platform: str = "telegram", delay: float = 0.0) -> None:
        self.platform = platform
        self.delay = delay
        self.sent: list[Message] = []
        self.errors: dict[str, list[Exception]] = {}
        self.in_flight: dict[str, int] = {}
        self.max_in_flight_per_chat = 0
        self.max_in_flight = 0

    def fail(self, chat_id: str, *errors: Exception) -> None:
        self.errors.setdefault(chat_id, []).extend(errors)

    async def send(self, message: Message) -> str | None:
        chat = message.chat_id
        self.in_flight[chat] = self.in_flight.get(chat, 0) + 1
        self.max_in_flight_per_chat = max(self.max_in_flight_per_chat, self.in_flight[chat])
        self.max_in_flight = max(self.max_in_flight, sum(self.in_flight.values()))
        try:
            await asyncio.sleep(self.delay)
            queued = self.errors.get(chat)
            if queued:
                raise queued.pop(0)
            self.sent.append(message)
            return str(len(self.sent))
        finally:
            self.in_flight[chat] -= 1

    def texts(self, chat_id: str) -> list[str]:
        return [plain_text(m.text) for m in self.sent if m.chat_id == chat_id]

    def numbers(self, chat_id: str) -> list[str]:
        """The `#<id>` each message to this chat mentions, in the order sent."""
        return [re.findall(r"#\d+", text)[0] for text in self.texts(chat_id)]
