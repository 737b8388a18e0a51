"""Telegram adapter: updates → Inbound, replies → paced messages, webhook or long polling."""

from adapters.telegram.markup import keyboard, split_for_telegram, to_html
from adapters.telegram.parse import to_inbound
from adapters.telegram.polling import run_polling
from adapters.telegram.sender import TelegramSender, deliver_direct
from adapters.telegram.setup import make_bot, start_webhook_mode
from adapters.telegram.webhook import WEBHOOK_PATH, TelegramWebhook

__all__ = [
    "WEBHOOK_PATH",
    "TelegramSender",
    "TelegramWebhook",
    "deliver_direct",
    "keyboard",
    "make_bot",
    "run_polling",
    "split_for_telegram",
    "start_webhook_mode",
    "to_html",
    "to_inbound",
]
