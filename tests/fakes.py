"""Fakes of our own seams, shared by the tests of several layers (never of a platform: those are the
API doubles in tests/doubles/)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bots.neutral import Inbound, Message, Reply, Span, Text, plain_text


def ok(inbound: Inbound) -> list[Reply]:
    """The default answer: "ok", to the chat the event came from."""
    return [Message(inbound.where.chat_id, (Span("ok"),))]


def echo(inbound: Inbound) -> list[Reply]:
    """What a person wrote, said back to them ("you said hi"); "you said ?" for anything but text."""
    said = inbound.payload.text if isinstance(inbound.payload, Text) else "?"
    return [Message(inbound.where.chat_id, (Span(f"you said {said}"),))]


@dataclass
class FakeConversation:
    """The inbound seam (bots.ports.InboundHandler) for adapter tests: records every event and answers
    with `answer(inbound)` (None = already handled, send nothing), after `delay`; raises `failure` (as the
    conversation does when storage fails), or fails once for each event id in `fail_once`."""

    answer: Callable[[Inbound], Sequence[Reply] | None] = ok
    delay: float = 0.0
    failure: Exception | None = None
    fail_once: set[str] = field(default_factory=set)
    seen: list[Inbound] = field(default_factory=list)

    async def __call__(self, inbound: Inbound, /) -> list[Reply] | None:
        self.seen.append(inbound)
        await asyncio.sleep(self.delay)
        if self.failure is not None:
            raise self.failure
        if inbound.event_id in self.fail_once:
            self.fail_once.discard(inbound.event_id)
            raise RuntimeError("storage hiccup")
        replies = self.answer(inbound)
        return None if replies is None else list(replies)

    def answer_with(self, replies: Sequence[Reply] | None) -> None:
        self.answer = lambda _inbound: replies

    async def next(self, count: int = 1) -> Inbound:
        """The `count`-th event, once it has arrived (adapters may hand it over after answering)."""
        for _ in range(200):
            if len(self.seen) >= count:
                return self.seen[count - 1]
            await asyncio.sleep(0.01)
        raise TimeoutError("the conversation was not called")


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
