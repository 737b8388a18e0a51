"""Building the PTB `Bot` and registering the webhook: the two things the composition root needs."""

from __future__ import annotations

import re

from telegram import Bot
from telegram.request import HTTPXRequest

from adapters.telegram.polling import ALLOWED_UPDATES

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
SEND_READ_TIMEOUT = 30.0
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def make_bot(token: str, base_url: str = DEFAULT_BASE_URL, *, pool_size: int = 64,
             read_timeout: float = SEND_READ_TIMEOUT) -> Bot:
    """A Bot whose HTTP pool lets the outbox send to many chats at once.

    `base_url` is PTB's: the token is appended ("https://api.telegram.org/bot" + token), or put
    where "{token}" appears, so a local Bot API server or a test double can stand in.
    Long polling gets its own one-connection pool so it never starves the senders.
    """
    # The read timeout is well above Telegram's slowest ordinary answer: a send that times out after its
    # request was written may have gone out, and the Bot API has no idempotency key to make a retry safe.
    request = HTTPXRequest(
        connection_pool_size=pool_size,
        connect_timeout=5.0,
        read_timeout=read_timeout,
        write_timeout=10.0,
        pool_timeout=5.0,
    )
    polling = HTTPXRequest(connection_pool_size=1, connect_timeout=5.0, read_timeout=10.0, write_timeout=10.0)
    return Bot(token, base_url=base_url, request=request, get_updates_request=polling)


async def start_webhook_mode(bot: Bot, url: str, secret: str) -> None:
    """Point Telegram at our webhook; the secret is required so forged updates get a 403."""
    if not _SECRET.fullmatch(secret or ""):
        raise ValueError("the webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    await bot.set_webhook(url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))
