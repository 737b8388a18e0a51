"""The web chat's open pages in this process, and the outbox's sender for web people.

A notice for a web person is stored first (core/web_messages.py), then pushed over the WebSockets of
their open pages here; marked read once one of them has it. With none open, or open on another instance
(which finds it when it next looks, `POLL_SECONDS`), it waits for the next visit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from adapters.webchat.entries import Entry, body_of, notice_entry
from bots.neutral import Message
from core import web_messages
from core.db import Sessions

log = logging.getLogger(__name__)

PLATFORM = "web"
Push = Callable[[Entry], Awaitable[None]]


class LivePages:
    """Per chat id (a web person's session), how to push an entry to each of their open pages."""

    def __init__(self) -> None:
        self._open: dict[str, dict[int, Push]] = {}

    def add(self, chat_id: str, key: int, push: Push) -> None:
        self._open.setdefault(chat_id, {})[key] = push

    def remove(self, chat_id: str, key: int) -> None:
        pages = self._open.get(chat_id, {})
        pages.pop(key, None)
        if not pages:
            self._open.pop(chat_id, None)

    def __len__(self) -> int:
        return sum(len(pages) for pages in self._open.values())

    async def push(self, chat_id: str, entry: Entry) -> bool:
        """Show `entry` on every open page of this chat; True if at least one has it."""
        shown = False
        for push in list(self._open.get(chat_id, {}).values()):
            try:
                await push(entry)
                shown = True
            except Exception as error:  # a page closing just now: the notice stays unread for the next visit
                log.debug("web chat push to %s failed: %r", chat_id, error)
        return shown


class WebSender:
    """The outbox's sender for platform "web" (bots.ports.Sender)."""

    platform = PLATFORM

    def __init__(self, sessions: Sessions, live: LivePages) -> None:
        self.sessions, self.live = sessions, live
        self.pushed = 0

    async def send(self, message: Message) -> str | None:
        body = body_of(message)
        edit = message.edit_message_id or ""
        edit_of = int(edit[1:]) if edit.startswith("n") and edit[1:].isdecimal() else None
        async with self.sessions() as session, session.begin():
            message_id = await web_messages.keep(session, message.chat_id, body, edit_of=edit_of)
        if await self.live.push(message.chat_id, notice_entry(message_id, body)):
            self.pushed += 1
            async with self.sessions() as session, session.begin():
                await web_messages.mark_shown(session, [message_id])
        return f"n{message_id}"
