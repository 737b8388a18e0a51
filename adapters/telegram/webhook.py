"""`POST /telegram/webhook`, and the update processing that long polling shares.

The response code is the delivery contract with Telegram: 200 only once the handler has stored
the event (so a crash after it loses nothing), 5xx when it could not (so Telegram re-delivers),
403 for a wrong secret, 400 for a body that is not an update (re-delivering will not fix it; this
includes JSON nested too deeply to read). An update with values no column can hold is cleaned and stored
by the conversation (bots/sanitize.py), or dropped with a log line and 200: a 5xx only where a retry can
help.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
from functools import partial
from typing import Any

import orjson
from aiohttp import web
from telegram import Bot, Update
from telegram.error import TelegramError

from adapters.in_order import InOrder, Turn
from adapters.telegram.parse import PLATFORM, press_from_json, to_inbound
from adapters.telegram.sender import TelegramSender, deliver_direct
from bots.log_throttle import ThrottledLog
from bots.neutral import Inbound, Message, OpenForm, RefuseForm, Reply, Toast, plain_text
from bots.ports import InboundHandler, ReplyReceipts, StorageUnavailable

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ANSWER_TIMEOUT = 5.0  # a button's spinner: past this the person has given up on the toast anyway
# Seconds the conversation may take before the update is left to Telegram to deliver again. A burst is
# given time (HANDLER_DEADLINE) as long as the conversation keeps finishing events; when it has finished
# none for TROUBLE_DEADLINE, or the database failed in the last TROUBLE_SECONDS, a request gives up after
# TROUBLE_DEADLINE, so a hung database never holds the webhook (and the chat's updates behind it).
HANDLER_DEADLINE = 10.0
TROUBLE_DEADLINE = 1.5
TROUBLE_SECONDS = 30.0


LONG_NUMBER = re.compile(rb"\d{19}")
"""A digit run as long as 64-bit integers get: orjson would read a longer integer as a float."""


def read_json(body: bytes) -> Any:
    """orjson's reading where it reads as json does, else json's (integers near or past 64 bits, lone
    surrogates, NaN): the same values either way, so a body is accepted or refused as it always was."""
    if LONG_NUMBER.search(body) is None:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body)


def answer_in_response(query_id: str, toast: Toast | None) -> dict[str, Any]:
    """answerCallbackQuery as a webhook reply body: the method's name joins its parameters."""
    answer: dict[str, Any] = {"method": "answerCallbackQuery", "callback_query_id": query_id}
    if toast is not None:
        answer["text"] = toast.text
    return answer


class TelegramWebhook:
    """Turns Telegram updates into calls of the conversation and sends its direct replies."""

    def __init__(self, bot: Bot, secret: str | None, handler: InboundHandler, bot_username: str | None, *,
                 deadline: float = HANDLER_DEADLINE, trouble_deadline: float = TROUBLE_DEADLINE,
                 sender: TelegramSender | None = None,
                 receipts: ReplyReceipts | None = None) -> None:
        self.bot = bot
        self.deadline, self.trouble_deadline = deadline, trouble_deadline
        self._trouble_until = 0.0
        self._last_progress = time.monotonic()
        self.failures = ThrottledLog(log)
        self._secret = secret
        self._handler = handler
        self._bot_username = bot_username
        self._sender = sender
        self._receipts = receipts
        self._answers = InOrder()  # a chat's answers go out in the order of its events
        self.toasts_lost = 0

    def add_routes(self, app: web.Application) -> None:
        """Mount `handle` at POST /telegram/webhook."""
        app.router.add_post(WEBHOOK_PATH, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler: check the secret, parse, process; map the outcome to a status."""
        if self._secret is not None:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), self._secret.encode()):
                return web.Response(status=403, text="forbidden")
        body = await request.read()
        try:
            data = read_json(body)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            press = press_from_json(data)
            update = Update.de_json(data, self.bot) if press is None else None
        # OverflowError and OSError: a date no clock can show (datetime.fromtimestamp raises one or the other,
        # by value and platform); the body is already read, so an OSError here is the parse's.
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, OSError, RecursionError) as exc:
            log.warning("telegram webhook: unreadable body: %s", type(exc).__name__)
            return web.Response(status=400, text="bad request")
        try:
            if press is not None:  # the hot shape, read without PTB's objects (parse.press_from_json)
                answer = await self._process(*press, reply_in_response=True)
            else:
                assert update is not None
                answer = await self.process_update(update, reply_in_response=True)
        except Exception as error:
            self.failures.failure("telegram update not processed (Telegram will deliver it again)", error)
            return web.Response(status=500, text="error")
        if answer is not None:
            return web.Response(body=orjson.dumps(answer), content_type="application/json")
        return web.Response(text="ok")

    async def process_update(self, update: Update, *, reply_in_response: bool = False) -> dict[str, Any] | None:
        """Hand the update to the conversation; raises if the handler raised. The answer (the button's
        toast, the replies) goes out right after, in the background: the update is stored by then.

        An update we cannot parse is logged and skipped: re-delivering it would fail the same way
        and hold up the updates behind it.
        """
        try:
            inbound = to_inbound(update, self._bot_username)
        except Exception:
            log.exception("telegram update %s could not be parsed; skipped", update.update_id)
            return None
        if inbound is None:
            return None
        query_id = update.callback_query.id if update.callback_query is not None else None
        return await self._process(inbound, query_id, reply_in_response=reply_in_response)

    async def _process(self, inbound: Inbound, query_id: str | None, *,
                       reply_in_response: bool) -> dict[str, Any] | None:
        """With `reply_in_response` (a webhook request), a button press is answered in the HTTP response
        itself (Telegram's webhook reply: one Bot API method in the body), which is returned here: no
        request of our own, and the spinner stops as soon as Telegram reads our 200. Telegram says
        nothing of how that method fared, so while the Bot API is in trouble (a 429, 5xx or timeout in
        the last minute) the press is answered by a call instead, whose failure turns the toast's words
        into a message (ReplyReceipts.toast_lost)."""
        replies = await self._converse(inbound) or []
        in_response = None
        if query_id is not None and reply_in_response and not (self._sender and self._sender.in_trouble()):
            in_response = answer_in_response(query_id, next((r for r in replies if isinstance(r, Toast)), None))
            query_id = None
        if query_id is not None or any(isinstance(r, Message) for r in replies):
            self._answers.start(inbound.where.chat_id, partial(self._answer, query_id, replies))
        return in_response

    async def _converse(self, inbound: Inbound) -> list[Reply] | None:
        """The conversation's answer, or TimeoutError past the deadline that applies (module constants).

        The conversation runs in this request's own task; one timer, re-armed only at the moments a verdict
        can change (a burst holds thousands of these), cancels it when the request gives up. No task or
        wait of its own per request: under a storm those cost a tenth of a press's CPU."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        started = time.monotonic()
        gave_up = False
        timer: asyncio.TimerHandle

        def verdict() -> None:
            nonlocal gave_up, timer
            now = time.monotonic()
            waited = now - started
            troubled = now < self._trouble_until or now - self._last_progress >= self.trouble_deadline
            if waited >= self.deadline or (troubled and waited >= self.trouble_deadline):
                gave_up = True
                task.cancel()
                return
            # Not troubled yet: look again when the last progress gets trouble_deadline old (or sooner).
            wake = min(started + self.deadline, max(now, self._last_progress) + self.trouble_deadline,
                       now + self.trouble_deadline / 3)
            timer = loop.call_later(max(0.0, wake - now), verdict)

        timer = loop.call_later(self.trouble_deadline, verdict)
        try:
            replies = await self._handler(inbound)
        except asyncio.CancelledError:
            if gave_up and task.uncancel() == 0:  # our own cancellation, not the server's
                self._trouble_until = time.monotonic() + TROUBLE_SECONDS
                raise TimeoutError(f"no answer from the conversation within {time.monotonic() - started:.1f} s"
                                   ) from None
            raise
        except Exception as error:  # finished, if with an error: the conversation still makes progress
            self._last_progress = time.monotonic()
            if isinstance(error, StorageUnavailable):
                self._trouble_until = self._last_progress + TROUBLE_SECONDS
            raise
        finally:
            timer.cancel()
        self._last_progress = time.monotonic()
        return replies

    async def drain(self) -> None:
        """Wait for the answers still going out (at shutdown, bounded by the caller; tests wait here)."""
        await self._answers.drain()

    async def _answer(self, query_id: str | None, replies: list[Reply], turn: Turn) -> None:
        """Stop the button's spinner first, with the first toast among the replies; then the messages,
        in order, once the answers to the chat's earlier events are out (`turn`, adapters/in_order.py): the
        replies go out in the order the events came. Forms have no Telegram shape: the conversation offers
        them only where `Inbound.forms`."""
        try:
            toast = next((r for r in replies if isinstance(r, Toast)), None)
            if query_id is not None:
                await self._toast(query_id, toast)
            await turn()
            for reply in replies:
                match reply:
                    case Message() if plain_text(reply.text).strip():
                        await self._send(reply)
                    case Message() | Toast() | OpenForm() | RefuseForm():
                        pass
        except Exception as error:  # nothing here may fail silently, nor take the server down
            self.failures.failure("telegram answer", error)

    async def _toast(self, query_id: str, toast: Toast | None) -> None:
        try:
            await asyncio.wait_for(self.bot.answer_callback_query(query_id, text=toast.text if toast else None),
                                   ANSWER_TIMEOUT)
        except (TelegramError, TimeoutError) as exc:  # e.g. "query is too old", a 429, a slow API
            log.warning("answerCallbackQuery %s failed: %r", query_id, exc)
            self.toasts_lost += 1
            if self._sender is not None:
                self._sender.saw_trouble()
            if toast is not None and self._receipts is not None:
                await self._receipts.toast_lost(PLATFORM, toast.chat_id, toast.thread_id, toast.text)

    async def _send(self, reply: Message) -> None:
        if reply.outbox_id is None or self._sender is None or self._receipts is None:
            await deliver_direct(self.bot, reply)
            return
        try:
            message_id = await self._sender.send_now(reply)
        except Exception as error:  # the outbox retries it after the wait Telegram asked for
            await self._receipts.undelivered(PLATFORM, reply, error)
        else:
            await self._receipts.delivered(PLATFORM, reply, message_id)
