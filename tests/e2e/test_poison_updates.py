"""Updates no column can hold as sent: cleaned and answered, or dropped with 200, never a 5xx loop.

On PostgreSQL a NUL in text or a value longer than its column fails the transaction; Telegram would
deliver such an update again and again and hold up the chat behind it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import make_engine
from core.models import Identity, InboxEvent, Proposal
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import html_to_plain, message_update
from tests.e2e.harness import SECRET, Client, running


async def rows(db_url: str, query: Any) -> list[Any]:
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(query)).all())
    finally:
        await engine.dispose()


async def post_raw(client: Client, body: bytes) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    async with client.http.post(client.url, data=body, headers=headers) as response:
        return response.status


async def test_names_languages_and_ids_beyond_their_columns_are_cleaned_and_answered(
        sessions: Any, db_url: str) -> None:
    async with TelegramApiDouble() as api, running(db_url, api, migrate=False) as client:
        named = message_update(client.next_id(), 901, "/help", first_name="N\x00" + "a" * 300,
                               language_code="x" * 60)
        assert await client.post(named) == 200
        await api.wait_for(lambda m, p: m == "sendMessage" and str(p["chat_id"]) == "901")
        [(name, locale)] = await rows(db_url, select(Identity.display_name, Identity.locale)
                                      .where(Identity.user_id == "901"))
        assert "\x00" not in name and len(name) <= 200 and name.startswith("Naaa") and locale is None

        huge_id = int("9" * 121)
        assert await client.post(message_update(huge_id, 902, "/help")) == 200
        assert await client.post(message_update(huge_id, 902, "/help")) == 200  # re-delivered: once
        await api.wait_for(lambda m, p: m == "sendMessage" and str(p["chat_id"]) == "902")
        assert len(api.sent_to(902)) == 1
        assert all(len(event_id) <= 100 for (event_id,) in await rows(db_url, select(InboxEvent.event_id)))

        for words in ("/propose", "Bike\x00 racks\x07 at\x1b stations", "Racks\x00 for everyone\x00.",):
            assert await client.post(message_update(client.next_id(), 903, words)) == 200
        await api.wait_for(lambda m, p: m == "sendMessage" and str(p["chat_id"]) == "903"
                           and "Which field" in html_to_plain(p["text"]))

        forged_chat = message_update(client.next_id(), 904, "/help")
        forged_chat["message"]["chat"]["id"] = int("7" * 130)
        forged_chat["message"]["from"]["id"] = int("7" * 130)
        assert await client.post(forged_chat) == 200  # no column can name that chat: dropped, logged
        assert await rows(db_url, select(Identity.id).where(Identity.user_id == "7" * 130)) == []


async def test_a_proposal_written_with_control_characters_is_stored_without_them(sessions: Any, db_url: str) -> None:
    async with TelegramApiDouble() as api, running(db_url, api, migrate=False) as client:
        for words in ("/propose", "Bike\x00 racks\x07", "Racks\x00 at\x1b every station.\nPlease."):
            assert await client.post(message_update(client.next_id(), 905, words)) == 200
        for data in ("pcat:transport", "psubmit:1"):
            update = {"update_id": client.next_id(), "callback_query": {
                "id": f"q{data}", "from": {"id": 905, "is_bot": False, "first_name": "A"},
                "chat_instance": "1", "data": data,
                "message": {"message_id": 1, "date": 0, "chat": {"id": 905, "type": "private"}, "text": "x"}}}
            assert await client.post(update) == 200
        [(title, description)] = await rows(db_url, select(Proposal.title, Proposal.description))
        assert title == "Bike racks" and description == "Racks at every station.\nPlease."


async def test_json_nested_too_deep_is_refused_with_400_not_500(sessions: Any, db_url: str) -> None:
    async with TelegramApiDouble() as api, running(db_url, api, migrate=False) as client:
        deep = b'{"update_id": 5, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        assert await post_raw(client, deep) == 400
        assert await post_raw(client, b'{"update_id": ' + b"9" * 5000 + b"}") == 400


async def test_an_unknown_command_is_quoted_not_echoed_whole(sessions: Any, db_url: str) -> None:
    async with TelegramApiDouble() as api, running(db_url, api, migrate=False) as client:
        assert await client.post(message_update(client.next_id(), 906, "/" + "x" * 100_000)) == 200
        await api.wait_for(lambda m, p: m == "sendMessage" and str(p["chat_id"]) == "906")
        [answer] = api.sent_to(906)
        assert "don't know the command" in answer["text"] and len(answer["text"]) < 300
