"""Long polling instead of a webhook, and what Telegram sees when the database is gone."""

from __future__ import annotations

from sqlalchemy import text

from core.db import make_engine
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import message_update
from tests.e2e.harness import running


async def test_long_polling_holds_the_same_conversation(sessions, db_url: str) -> None:
    async with TelegramApiDouble() as api, running(db_url, api, migrate=False, telegram_webhook_url=None):
        await api.wait_for(lambda m, p: m == "deleteWebhook")
        api.push_update(message_update(1, 300, "/start", language_code="ko"))
        api.push_update(message_update(2, 300, "/help", language_code="ko"))
        await api.wait_for(lambda m, p: m == "sendMessage" and "/propose" in p["text"] and "/vote" in p["text"])
        welcome = api.sent_to(300)[0]["text"]
        assert "천만상상 오아시스" in welcome  # Telegram said the person speaks Korean


async def test_webhook_answers_5xx_while_the_database_is_broken(sessions, db_url: str) -> None:
    async with TelegramApiDouble() as api, running(db_url, api, migrate=False) as client:
        assert await client.post(message_update(client.next_id(), 300, "/help")) == 200
        engine = make_engine(db_url)
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE inbox RENAME TO inbox_away"))
        failing = message_update(client.next_id(), 300, "/new")
        assert await client.post(failing) == 500  # Telegram will deliver it again
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE inbox_away RENAME TO inbox"))
        await engine.dispose()
        assert await client.post(failing) == 200  # the re-delivery is applied once the database is back
        await api.wait_for(lambda m, p: m == "sendMessage" and "No proposals" in p["text"])
        assert (await client.app.health()) is None
