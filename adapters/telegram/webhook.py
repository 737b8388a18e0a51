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

from aiohttp import web
from telegram import Bot, CallbackQuery, Update
from telegram.error import TelegramError

from adapters.telegram.parse import to_inbound
from adapters.telegram.sender import deliver_direct
from bots.log_throttle import ThrottledLog
from bots.neutral import InboundHandler, Outbound, plain_text

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Seconds the conversation may take before the update is left to Telegram to deliver again: a hung
# database must not hold the webhook (and the chat's updates behind it) for many seconds.
HANDLER_DEADLINE = 1.5


class TelegramWebhook:
    """Turns Telegram updates into calls of the conversation and sends its direct replies."""

    def __init__(self, bot: Bot, secret: str | None, handler: InboundHandler, bot_username: str | None, *,
                 deadline: float = HANDLER_DEADLINE) -> None:
        self.bot = bot
        self.deadline = deadline
        self.failures = ThrottledLog(log)
        self._secret = secret
        self._handler = handler
        self._bot_username = bot_username

    def add_routes(self, app: web.Application) -> None:
        """Mount `handle` at POST /telegram/webhook."""
        app.router.add_post(WEBHOOK_PATH, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler: check the secret, parse, process; map the outcome to a status."""
        if self._secret is not None:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), self._secret.encode()):
                return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict):
                raise ValueError("not an object")
            update = Update.de_json(data, self.bot)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            log.warning("telegram webhook: unreadable body: %s", type(exc).__name__)
            return web.Response(status=400, text="bad request")
        try:
            await self.process_update(update)
        except Exception as error:
            self.failures.failure("telegram update not processed (Telegram will deliver it again)", error)
            return web.Response(status=500, text="error")
        return web.Response(text="ok")

    async def process_update(self, update: Update) -> None:
        """Hand the update to the conversation, then answer it; raises if the handler raised.

        An update we cannot parse is logged and skipped: re-delivering it would fail the same way
        and hold up the updates behind it.
        """
        try:
            inbound = to_inbound(update, self._bot_username)
        except Exception:
            log.exception("telegram update %s could not be parsed; skipped", update.update_id)
            return
        if inbound is None:
            return
        replies = await asyncio.wait_for(self._handler(inbound), self.deadline)
        if update.callback_query is not None:
            await self._answer(update.callback_query, replies)
        for reply in replies or ():
            if plain_text(reply.text).strip():
                await deliver_direct(self.bot, reply)

    async def _answer(self, query: CallbackQuery, replies: list[Outbound] | None) -> None:
        """Stop the button's spinner first, with the first toast any reply carries."""
        notice = next((r.notice for r in replies or () if r.notice), None)
        try:
            await self.bot.answer_callback_query(query.id, text=notice)
        except TelegramError as exc:  # e.g. "query is too old" after a slow re-delivery
            log.warning("answerCallbackQuery %s failed: %r", query.id, exc)
