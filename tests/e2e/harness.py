"""Start the real Oasis server against the Telegram Bot API double, and post updates as Telegram does."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from bots.app import OasisApp
from bots.settings import Settings
from core.migrate import upgrade
from tests.doubles.telegram_api import TelegramApiDouble

TOKEN = "123456:TEST-TOKEN"
SECRET = "s3cret-token_for-tests"


def settings_for(db_url: str, api: TelegramApiDouble, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "oasis_database_url": db_url,
        "oasis_host": "127.0.0.1",
        "oasis_port": 0,
        "oasis_public_url": "https://oasis.test",
        "oasis_default_language": "en",
        "telegram_bot_token": TOKEN,
        "telegram_api_base_url": api.base_url,
        "telegram_webhook_url": "https://oasis.test/telegram/webhook",
        "telegram_webhook_secret": SECRET,
        "telegram_max_messages_per_second": 200,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class Client:
    """Posts updates to our webhook exactly as Telegram would, with fresh update ids."""

    def __init__(self, app: OasisApp, http: aiohttp.ClientSession, api: TelegramApiDouble) -> None:
        self.app = app
        self.http = http
        self.api = api
        self.ids = itertools.count(1000)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.app.port}/telegram/webhook"

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with self.http.post(self.url, json=update, headers=headers) as response:
            status, body = response.status, await response.read()
        if status == 200:  # a button's answer may come in the response body, as a webhook reply
            await self.api.webhook_reply(body)
        if self.app.telegram_webhook is not None:  # the answers go out just after the acknowledgement
            await self.app.telegram_webhook.drain()
        return status

    def next_id(self) -> int:
        return next(self.ids)


@asynccontextmanager
async def running(db_url: str, api: TelegramApiDouble, *, migrate: bool = True,
                  **overrides: Any) -> AsyncIterator[Client]:
    if migrate:
        await upgrade(db_url)
    app = OasisApp(settings_for(db_url, api, **overrides))
    await app.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Client(app, http, api)
    finally:
        await app.stop()
