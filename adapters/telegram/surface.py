"""Telegram as one surface: the bot, its paced sender, the webhook (or long polling), and their metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from adapters.telegram.polling import run_polling
from adapters.telegram.sender import TelegramSender
from adapters.telegram.setup import make_bot, start_webhook_mode
from adapters.telegram.webhook import WEBHOOK_PATH, TelegramWebhook
from bots.ports import InboundHandler, ReplyReceipts, Route

log = logging.getLogger(__name__)


class TelegramSurface:
    name = "telegram"
    keeps_replies = True  # the webhook reports every answer it sent (or could not) to `receipts`

    def __init__(self, token: str, api_base_url: str, handler: InboundHandler, *, max_per_second: float,
                 webhook_url: str | None = None, webhook_secret: str | None = None,
                 room_chat: str | None = None, group_limit: tuple[int, float] = (20, 60.0)) -> None:
        if webhook_url and not webhook_secret:
            raise SystemExit("TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_WEBHOOK_URL is set")
        self.bot = make_bot(token, api_base_url)
        self.sender = TelegramSender(self.bot, max_per_second, group_limit=group_limit)
        self.room_chat = room_chat
        self.receipts: ReplyReceipts | None = None
        """Where the webhook reports the replies it sent; set by the root once the outbox exists."""
        self.webhook: TelegramWebhook | None = None
        self._handler = handler
        self._webhook_url, self._secret = webhook_url, webhook_secret
        self._polling: asyncio.Task[None] | None = None

    async def prepare(self) -> None:
        await self.bot.initialize()
        self.webhook = TelegramWebhook(self.bot, self._secret, self._handler, self.bot.username,
                                       sender=self.sender, receipts=self.receipts)

    def routes(self) -> list[Route]:
        return [("POST", WEBHOOK_PATH, self.webhook.handle)] if self.webhook and self._webhook_url else []

    async def start(self, stop: asyncio.Event) -> None:
        assert self.webhook is not None, "prepare() first"
        if self._webhook_url:
            await start_webhook_mode(self.bot, self._webhook_url, self._secret or "")
        else:
            self._polling = asyncio.create_task(run_polling(self.bot, self.webhook, stop))

    async def stop(self) -> None:
        if self.webhook is not None:  # answers already stored: let them go out (else the outbox will)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.webhook.drain(), timeout=5)
        if self._polling is not None:
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(self._polling, timeout=5)
        with contextlib.suppress(Exception):
            await self.bot.shutdown()

    def metrics(self) -> dict[str, float]:
        return {"oasis_telegram_toasts_lost_total": self.webhook.toasts_lost if self.webhook else 0}
