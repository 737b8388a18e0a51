"""Neutral `Message` → Telegram messages: paced sending for the outbox, and direct replies.

The outbox needs to know what to do after a failure, so Telegram's exceptions are mapped to the
neutral ones: RetryAfter (wait what Telegram asked), TransientError (back off), PermanentError
(mark failed now). Direct replies to a webhook are sent at once and never raise.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import math
import time
import warnings
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TypeVar

import httpx
from telegram import Bot, LinkPreviewOptions, ReplyParameters
from telegram import Message as TelegramMessage
from telegram import error as tg
from telegram.constants import ParseMode

from adapters.pacing import SharedLimiter
from adapters.telegram.markup import keyboard, split_for_telegram, to_html
from adapters.telegram.pacing import ChatPacer
from bots.neutral import Message, signed_text
from bots.ports import (
    CannotDelete,
    DeliveryError,
    MaybeSent,
    PermanentError,
    PlaceGone,
    RetryAfter,
    SharedRate,
    TransientError,
)

log = logging.getLogger(__name__)

PLATFORM = "telegram"
TROUBLE_SECONDS = 60.0  # after a 429, a 5xx or a timeout from the Bot API, how long it counts as troubled
T = TypeVar("T")


def bot_id(token: str) -> str:
    """The bot's numeric id, the part of its token before the colon (the rest is the secret)."""
    return token.split(":", 1)[0]


class TelegramSender:
    """The outbox's `Sender` for Telegram: paces per chat and bot-wide, maps errors to neutral ones."""

    platform = PLATFORM
    replies_natively = True  # reply_parameters

    def __init__(self, bot: Bot, max_per_second: float, *, link_previews: bool = False,
                 group_limit: tuple[int, float] = (20, 60.0), shared_rate: SharedRate | None = None) -> None:
        self._bot = bot
        self._link_previews = link_previews
        # The limit is the bot's: with several processes sending for it, they share it (bots.ports.SharedRate).
        bot_wide = (SharedLimiter(shared_rate, f"telegram:{bot_id(bot.token)}", max_per_second)
                    if shared_rate is not None else None)
        self.pacer = ChatPacer(max_per_second, group_limit=group_limit, bot_wide=bot_wide)
        self._trouble_at = -math.inf

    def saw_trouble(self) -> None:
        """Telegram asked us to wait, failed or did not answer: for a while, answers whose outcome we
        cannot see (webhook replies) are not trusted with anything (adapters/telegram/webhook.py)."""
        self._trouble_at = time.monotonic()

    def in_trouble(self, within: float = TROUBLE_SECONDS) -> bool:
        return time.monotonic() - self._trouble_at < within

    async def send(self, message: Message) -> str | None:
        """Send (or edit) one message, waiting only on this chat's and the bot's limits."""

        async def turn() -> None:
            await self.pacer.wait_turn(message.chat_id)

        return await self._send(message, turn)

    async def open_thread(self, chat_id: str, title: str) -> str:
        """A dialogue-room thread: a topic of the room's forum, named `title` (it counts against the
        group's limit like a message)."""
        topic = await self._paced_call(chat_id, lambda: self._bot.create_forum_topic(chat_ref(chat_id), title))
        if topic is None:
            raise TransientError("createForumTopic returned no topic")
        return str(topic.message_thread_id)

    async def post_copy(self, message: Message, parts: Sequence[str],
                        keep: Callable[[list[str]], Awaitable[None]]) -> None:
        """A room copy in parts of at most 4,096 characters, each its own message (RoomSender.post_copy);
        the first answers the message it replies to."""
        texts = split_for_telegram(signed_text(message))
        chat = chat_ref(message.chat_id)
        previews = LinkPreviewOptions(is_disabled=True)
        ids = list(parts)
        for index, text in enumerate(texts):
            html = to_html(text)
            if index < len(ids):
                await self._paced_call(message.chat_id, partial(
                    self._bot.edit_message_text, html, chat_id=chat, message_id=int(ids[index]),
                    parse_mode=ParseMode.HTML, link_preview_options=previews), done_if="not modified")
                continue
            answering = (ReplyParameters(int(message.reply_to_message_id), allow_sending_without_reply=True)
                         if index == 0 and message.reply_to_message_id and message.reply_to_message_id.isdigit()
                         else None)
            sent = await self._paced_call(message.chat_id, partial(
                self._bot.send_message, chat, html, parse_mode=ParseMode.HTML, link_preview_options=previews,
                message_thread_id=int(message.thread_id) if message.thread_id else None,
                reply_parameters=answering))
            if sent is None:
                raise TransientError("sendMessage returned no message")
            ids.append(str(sent.message_id))
            await keep(list(ids))
        for surplus in ids[len(texts):]:
            await self.delete(message.chat_id, surplus)
        if len(ids) > len(texts):
            await keep(ids[:len(texts)])

    async def delete(self, chat_id: str, message_id: str) -> None:
        """Delete a message of a group (the bot's own, or anyone's when it is an admin, within 48 hours)."""
        try:
            await self._paced_call(chat_id, lambda: self._bot.delete_message(chat_ref(chat_id), int(message_id)),
                                   done_if="not found")
        except PermanentError as exc:
            if "can't be deleted" in str(exc).lower() or "cannot be deleted" in str(exc).lower():
                raise CannotDelete(str(exc)) from exc
            raise

    async def close_thread(self, chat_id: str, place: str) -> None:
        """Close a forum topic: from now on only admins may post in it."""
        await self._paced_call(chat_id, lambda: self._bot.close_forum_topic(chat_ref(chat_id), int(place)),
                               done_if="not_modified")

    async def _paced_call(self, chat_id: str, call: Callable[[], Awaitable[T]], *,
                          done_if: str | None = None) -> T | None:
        """One Bot API call to a chat in its turn, Telegram's errors made neutral; a BadRequest whose text
        holds `done_if` means it is done already (deleting a deleted message)."""
        await self.pacer.wait_turn(chat_id)
        try:
            return await call()
        except tg.RetryAfter as exc:
            raise self._wait_asked(chat_id, exc) from exc
        except tg.BadRequest as exc:
            if done_if is not None and done_if in exc.message.lower():
                return None
            raise neutral_error(exc) from exc
        except tg.TelegramError as exc:
            raise self._failed(exc) from exc

    def _wait_asked(self, chat_id: str, exc: tg.RetryAfter) -> RetryAfter:
        seconds = retry_seconds(exc)
        self.pacer.pause(chat_id, seconds)
        self.saw_trouble()
        return RetryAfter(seconds)

    def _failed(self, exc: tg.TelegramError) -> DeliveryError:
        error = neutral_error(exc)
        if isinstance(error, TransientError | MaybeSent):
            self.saw_trouble()
        return error

    async def send_now(self, message: Message) -> str | None:
        """An answer to someone who just wrote: only the bot-wide limit applies (a person does not write
        faster than their chat's limit; a 429 here leaves the retry to the paced outbox)."""
        return await self._send(message, self.pacer.bot_wide.acquire)

    async def _send(self, message: Message, turn: Callable[[], Awaitable[None]]) -> str | None:
        try:
            return await deliver(self._bot, message, link_previews=self._link_previews, before_each=turn)
        except tg.RetryAfter as exc:
            raise self._wait_asked(message.chat_id, exc) from exc
        except tg.TelegramError as exc:
            raise self._failed(exc) from exc
        except ValueError as exc:  # e.g. callback data over 64 bytes: resending will not help
            raise PermanentError(str(exc)) from exc


async def deliver_direct(bot: Bot, message: Message, *, max_wait: float = 30.0) -> str | None:
    """Send a direct reply now (not paced by the outbox); log failures instead of raising.

    A RetryAfter is waited out and the send retried once, unless the wait exceeds `max_wait`
    (the webhook request would time out and Telegram would re-deliver for nothing).
    """
    for attempt in (1, 2):
        try:
            return await deliver(bot, message)
        except tg.RetryAfter as exc:
            seconds = retry_seconds(exc)
            if attempt == 2 or seconds > max_wait:
                log.warning("direct reply to %s dropped: retry after %ss", message.chat_id, seconds)
                return None
            await asyncio.sleep(seconds)
        except (tg.TelegramError, ValueError) as exc:
            log.warning("direct reply to %s failed: %r", message.chat_id, exc)
            return None
    return None


async def deliver(
    bot: Bot,
    message: Message,
    *,
    link_previews: bool = False,
    before_each: Callable[[], Awaitable[None]] | None = None,
) -> str | None:
    """Send the message in as many parts as Telegram's length limit needs; buttons go on the last.

    With `edit_message_id` the first part replaces that message. Returns the id of the last
    message touched. Raises Telegram's own errors (and ValueError for oversized callback data).
    """
    parts = split_for_telegram(signed_text(message))
    markup = keyboard(message.buttons)
    chat_id = chat_ref(message.chat_id)
    thread = int(message.thread_id) if message.thread_id else None
    previews = LinkPreviewOptions(is_disabled=not link_previews)
    answering = (ReplyParameters(int(message.reply_to_message_id), allow_sending_without_reply=True)
                 if message.reply_to_message_id and message.reply_to_message_id.isdigit() else None)
    last_id: str | None = None
    for index, part in enumerate(parts):
        reply_markup = markup if index == len(parts) - 1 else None
        if before_each is not None:
            await before_each()
        if index == 0 and message.edit_message_id:
            try:
                edited = await bot.edit_message_text(
                    to_html(part),
                    chat_id=chat_id,
                    message_id=int(message.edit_message_id),
                    parse_mode=ParseMode.HTML,
                    reply_markup=reply_markup,
                    link_preview_options=previews,
                )
            except tg.BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    raise
                edited = True  # same text and buttons already: the edit is done
            last_id = str(edited.message_id) if isinstance(edited, TelegramMessage) else message.edit_message_id
            continue
        sent = await bot.send_message(
            chat_id,
            to_html(part),
            parse_mode=ParseMode.HTML,
            reply_markup=reply_markup,
            message_thread_id=thread,
            link_preview_options=previews,
            reply_parameters=answering if index == 0 else None,
        )
        last_id = str(sent.message_id)
    return last_id


def neutral_error(exc: tg.TelegramError) -> DeliveryError:
    """What the outbox should do about a Telegram error (RetryAfter is handled by the caller)."""
    if isinstance(exc, tg.RetryAfter):
        return RetryAfter(retry_seconds(exc))
    if isinstance(exc, tg.ChatMigrated):
        return PermanentError(f"group moved to supergroup {exc.new_chat_id}")
    if isinstance(exc, tg.BadRequest) and "thread not found" in exc.message.lower():
        return PlaceGone(exc.message)  # a forum topic someone deleted: the room opens it anew
    if isinstance(exc, tg.Forbidden | tg.BadRequest):  # blocked, kicked, chat not found, bad markup
        return PermanentError(exc.message)
    if isinstance(exc, tg.TimedOut) and isinstance(exc.__cause__, httpx.ReadTimeout):
        return MaybeSent(f"no answer within the read timeout: {exc.message}")  # it may have been sent
    if isinstance(exc, tg.TimedOut | tg.NetworkError):
        return TransientError(exc.message)
    # InvalidToken, Conflict, unknown: an operator problem, not this message's; retry with backoff.
    return TransientError(f"{type(exc).__name__}: {exc.message}")


def retry_seconds(exc: tg.RetryAfter) -> float:
    """Seconds to wait; PTB 22 gives an int or a timedelta depending on PTB_TIMEDELTA."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def chat_ref(chat_id: str) -> int | str:
    """Numeric chat ids as ints (what Telegram expects); "@channel" names stay strings."""
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id
