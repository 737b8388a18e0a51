"""Telegram as one surface: the bot, its paced sender, the webhook (or long polling), and their metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import ChatMemberAdministrator
from telegram.error import TelegramError

from adapters.telegram.polling import run_polling
from adapters.telegram.sender import TelegramSender, chat_ref
from adapters.telegram.setup import make_bot, start_webhook_mode
from adapters.telegram.webhook import WEBHOOK_PATH, TelegramWebhook
from bots.ports import InboundHandler, ReplyReceipts, Route, SharedRate

log = logging.getLogger(__name__)


class TelegramSurface:
    name = "telegram"
    keeps_replies = True  # the webhook reports every answer it sent (or could not) to `receipts`

    def __init__(self, token: str, api_base_url: str, handler: InboundHandler, *, max_per_second: float,
                 webhook_url: str | None = None, webhook_secret: str | None = None,
                 room_chat: str | None = None, group_limit: tuple[int, float] = (20, 60.0),
                 shared_rate: SharedRate | None = None) -> None:
        if webhook_url and not webhook_secret:
            raise SystemExit("TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_WEBHOOK_URL is set")
        self.bot = make_bot(token, api_base_url)
        self.sender = TelegramSender(self.bot, max_per_second, group_limit=group_limit, shared_rate=shared_rate)
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

    async def room_problem(self) -> str | None:
        if self.room_chat is None:
            return None
        try:
            chat = await self.bot.get_chat(chat_ref(self.room_chat))
            member = await self.bot.get_chat_member(chat_ref(self.room_chat), self.bot.id)
        except TelegramError as exc:
            return f"cannot read group {self.room_chat} (TELEGRAM_ROOM_CHAT_ID): {exc.message}; add the bot to it"
        if not chat.is_forum:
            return f"group {self.room_chat} has no topics: turn on Topics in its settings"
        if not isinstance(member, ChatMemberAdministrator):
            return f"the bot is not an admin of group {self.room_chat}: make it one, with Manage topics and " \
                   "Delete messages"
        missing = [name for name, granted in (("Manage topics", member.can_manage_topics),
                                              ("Delete messages", member.can_delete_messages)) if not granted]
        if missing:
            return f"the bot's admin rights in group {self.room_chat} lack: {', '.join(missing)}"
        return None

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
