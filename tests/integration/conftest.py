"""Fixtures for the Telegram adapter's integration tests: the Bot API double and a real PTB bot on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from adapters.telegram.setup import make_bot
from tests.doubles.telegram_api import TelegramApiDouble

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def api() -> AsyncIterator[TelegramApiDouble]:
    async with TelegramApiDouble() as double:
        yield double


@pytest.fixture
async def bot(api: TelegramApiDouble) -> AsyncIterator[Bot]:
    async with make_bot(TOKEN, api.base_url) as made:
        yield made
