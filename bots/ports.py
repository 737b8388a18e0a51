"""The seams' behaviour, apart from the values that cross them (bots/neutral.py): what the conversation
is to an adapter, what a platform sender is to the outbox, how an adapter reports the replies it sent,
and the errors that tell the outbox and the adapters what to do next."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from bots.neutral import Inbound, Message, Reply


class StorageUnavailable(Exception):
    """The conversation could not reach its database: nothing was stored, so answer the platform 5xx and
    let it deliver the event again."""


class DeliveryError(Exception):
    """Raised by a `Sender`; tells the outbox what to do next."""


class RetryAfter(DeliveryError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class TransientError(DeliveryError):
    """Network trouble or a 5xx: try again later with backoff."""


class MaybeSent(TransientError):
    """The request was fully written but no answer came: the platform may have sent it. The outbox
    waits longer before trying again, as the platform offers no idempotency key to ask with."""


class PermanentError(DeliveryError):
    """The platform will never accept this (blocked bot, chat gone): mark failed now."""


class CannotDelete(PermanentError):
    """The platform does not let the bot delete that message (a person's own where the bot is no admin,
    or older than the platform allows): it stays there."""


class PlaceGone(PermanentError):
    """The topic or thread a message was sent to no longer exists there (deleted by someone): open it
    anew rather than give up."""


class Sender(Protocol):
    """What the outbox dispatcher needs from a platform adapter."""

    platform: str

    async def send(self, message: Message) -> str | None:
        """Deliver one message, pacing for the platform's limits; return its id, raise DeliveryError."""
        ...


@runtime_checkable
class RoomSender(Sender, Protocol):
    """A sender that can also hold the dialogue room: open a thread there for a proposal's discussion."""

    replies_natively: bool
    """Its messages can answer another (`Message.reply_to_message_id`); else a reply quotes in its text."""

    async def open_thread(self, chat_id: str, title: str) -> str:
        """Open a topic (Telegram forum) or post a thread's root message (Slack) named `title`; return the
        place later messages go to (the topic's id, the root's ts). Raise DeliveryError like `send`."""
        ...

    async def post_copy(self, message: Message, parts: Sequence[str],
                        keep: Callable[[list[str]], Awaitable[None]]) -> None:
        """Show a room copy in as many parts as the platform's length limit needs. `parts`: the ids of the
        parts already shown (a retry, an edit), which are edited in place; surplus ones are deleted, missing
        ones posted. `keep` is given the ids after each change, so a failure half way loses none of them.
        Raise DeliveryError like `send`."""
        ...

    async def delete(self, chat_id: str, message_id: str) -> None:
        """Delete a message (one already gone counts as deleted); CannotDelete where the platform refuses.
        Raise DeliveryError like `send`."""
        ...

    async def close_thread(self, chat_id: str, place: str) -> None:
        """Close a thread to new messages where the platform can (a forum topic); else nothing."""
        ...


class SharedRate(Protocol):
    """A send rate shared by every process sending for one account (the bot-wide Telegram limit is the
    bot's, not the process's): each send takes the next free slot, `gap` seconds after the one before."""

    async def take(self, key: str, gap: float) -> float:
        """Reserve the next slot for `key`; returns the seconds to wait for it (0 if it is now)."""
        ...

    async def hold(self, key: str, seconds: float) -> None:
        """No slot for `key` within the next `seconds` (the platform answered 429 to the whole bot)."""
        ...


class DirectChats(Protocol):
    """Direct chats a platform made on request (a Slack DM opened by conversations.open, a call with its
    own rate limit), kept so another process, or this one after a restart, does not ask again."""

    async def known(self, platform: str, user_id: str) -> str | None: ...

    async def remember(self, platform: str, user_id: str, chat_id: str) -> None: ...


class InboundHandler(Protocol):
    """The conversation as adapters see it: store the event, apply it once, return direct replies.

    Returns None when the event was already processed (a platform re-delivery): send nothing.
    Raises on storage failure so that the adapter answers 5xx and the platform re-delivers.
    """

    async def __call__(self, inbound: Inbound, /) -> list[Reply] | None: ...


class ReplyReceipts(Protocol):
    """Where an adapter reports what became of the replies it sent itself (`Message.outbox_id`)."""

    async def delivered(self, platform: str, reply: Message, message_id: str | None) -> None: ...

    async def undelivered(self, platform: str, reply: Message, error: Exception) -> None:
        """Leave it to the outbox: retried after the platform's wait, paced, counted, never dropped."""
        ...

    async def toast_lost(self, platform: str, chat_id: str, thread_id: str | None, text: str) -> None:
        """A button's answer could not be shown: send its words as a short message instead."""
        ...


Route = tuple[str, str, Callable[[Any], Awaitable[Any]]]
"""(method, path, handler) of an HTTP route on the one server (the handler takes the server's request)."""


class Pages(Protocol):
    """A family of web pages (adapters/web): its routes, mounted by the composition root."""

    def routes(self) -> list[Route]: ...


class Surface(Protocol):
    """A place people talk to Oasis (a messenger, the terminal, the web), as the root composes them: a
    list of surfaces, each with its outbox sender, its HTTP routes and its life cycle."""

    @property
    def name(self) -> str: ...

    @property
    def sender(self) -> Sender | None:
        """Its outbox sender, if people can be written to there first."""

    @property
    def room_chat(self) -> str | None:
        """The dialogue room's chat here (TELEGRAM_ROOM_CHAT_ID, SLACK_ROOM_CHANNEL_ID), if configured."""

    async def room_problem(self) -> str | None:
        """What keeps the dialogue room from working here (a right or scope missing), said so that the
        operator knows what to fix; None when it can work. Checked at start-up, after `prepare`."""

    @property
    def keeps_replies(self) -> bool:
        """Its direct replies are kept in the outbox with their event (bots/replies.py) because it reports
        what became of each (`ReplyReceipts`); a reply it could not send is then sent by the outbox."""

    async def prepare(self) -> None:
        """Before the server listens (e.g. learn the bot's name)."""

    def routes(self) -> list[Route]: ...

    async def start(self, stop: asyncio.Event) -> None:
        """Once the server listens (register a webhook, start polling until `stop`)."""

    async def stop(self) -> None:
        """Let answers already under way finish (bounded), then close connections."""

    def metrics(self) -> dict[str, float]: ...
