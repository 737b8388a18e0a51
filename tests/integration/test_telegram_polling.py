"""Long polling and bot setup with the real PTB Bot against the Bot API double."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from telegram import Bot, Update

from adapters.telegram.polling import TWO_POLLERS, run_polling
from adapters.telegram.setup import make_bot, start_webhook_mode
from adapters.telegram.webhook import TelegramWebhook
from bots.neutral import Command, Inbound, Message
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import BOT_USERNAME, message_update
from tests.fakes import FakeConversation, echo

TOKEN = "123456:TEST-TOKEN"


async def poll(bot: Bot, conversation: FakeConversation, stop: asyncio.Event) -> asyncio.Task[None]:
    webhook = TelegramWebhook(bot, None, conversation, BOT_USERNAME)
    return asyncio.create_task(run_polling(bot, webhook, stop, poll_timeout=1, first_backoff=0.05))


async def test_pushed_updates_are_processed_in_order(bot: Bot, api: TelegramApiDouble) -> None:
    conversation, stop = FakeConversation(answer=echo), asyncio.Event()
    for n in (1, 2, 3):
        api.push_update(message_update(n, 42, f"m{n}"))
    task = await poll(bot, conversation, stop)
    await api.wait_for(lambda method, params: method == "sendMessage" and params["text"] == "you said m3")
    api.push_update(message_update(4, 42, "m4"))
    await api.wait_for(lambda method, params: method == "sendMessage" and params["text"] == "you said m4")
    stop.set()
    await asyncio.wait_for(task, 3)

    assert [i.event_id for i in conversation.seen] == ["1", "2", "3", "4"]
    assert [p["text"] for p in api.sent_to(42)] == [
        "you said m1",
        "you said m2",
        "you said m3",
        "you said m4",
    ]
    assert api.methods().index("deleteWebhook") < api.methods().index("getUpdates")


async def test_a_chats_answers_keep_their_order_when_the_first_is_slow(bot: Bot, api: TelegramApiDouble) -> None:
    """Each answer goes out from a task of its own after its event is stored; the second must still wait for
    the first, or a person would read the answer to their second message before the one to their first."""
    webhook = TelegramWebhook(bot, None, FakeConversation(answer=echo), BOT_USERNAME)
    api.latency = 0.3  # the Bot API is slow for the first answer ...
    await webhook.process_update(Update.de_json(message_update(1, 42, "m1"), bot))
    await api.wait_for(lambda method, params: method == "sendMessage" and params["text"] == "you said m1")
    api.latency = 0  # ... and quick again for the second
    await webhook.process_update(Update.de_json(message_update(2, 42, "m2"), bot))
    await webhook.drain()
    assert [p["text"] for p in api.sent_to(42)] == ["you said m1", "you said m2"]


async def test_a_handler_failure_keeps_the_offset_so_the_update_comes_again(bot: Bot, api: TelegramApiDouble) -> None:
    conversation, stop = FakeConversation(answer=echo, fail_once={"2"}), asyncio.Event()
    for n in (1, 2, 3):
        api.push_update(message_update(n, 42, f"m{n}"))
    task = await poll(bot, conversation, stop)
    await api.wait_for(lambda method, params: method == "sendMessage" and params["text"] == "you said m3")
    stop.set()
    await asyncio.wait_for(task, 3)
    assert [i.event_id for i in conversation.seen] == ["1", "2", "2", "3"]
    assert len(api.sent_to(42)) == 3


async def test_network_errors_back_off_and_recover(bot: Bot, api: TelegramApiDouble) -> None:
    api.fail_next("getUpdates", status=502, times=2)
    api.push_update(message_update(1, 42, "/start"))
    conversation, stop = FakeConversation(answer=echo), asyncio.Event()
    task = await poll(bot, conversation, stop)
    await api.wait_for(lambda method, params: method == "sendMessage")
    stop.set()
    await asyncio.wait_for(task, 3)
    assert api.methods().count("getUpdates") >= 3
    assert [i.event_id for i in conversation.seen] == ["1"]


async def test_a_second_poller_of_the_bot_is_named_with_the_cure(
        bot: Bot, api: TelegramApiDouble, caplog: pytest.LogCaptureFixture) -> None:
    """Two `oasis run` in polling mode take each other's updates: Telegram answers one of them 409."""
    api.fail_next("getUpdates", status=409, description="Conflict: terminated by other getUpdates request; "
                  "make sure that only one bot instance is running")
    api.push_update(message_update(1, 42, "/start"))
    conversation, stop = FakeConversation(answer=echo), asyncio.Event()
    with caplog.at_level(logging.ERROR, logger="adapters.telegram.polling"):
        task = await poll(bot, conversation, stop)
        await api.wait_for(lambda method, params: method == "sendMessage")
        stop.set()
        await asyncio.wait_for(task, 3)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [TWO_POLLERS]
    assert "webhook mode (TELEGRAM_WEBHOOK_URL)" in TWO_POLLERS


async def test_stop_interrupts_a_long_poll_promptly(bot: Bot, api: TelegramApiDouble) -> None:
    conversation, stop = FakeConversation(answer=echo), asyncio.Event()
    webhook = TelegramWebhook(bot, None, conversation, BOT_USERNAME)
    task = asyncio.create_task(run_polling(bot, webhook, stop, poll_timeout=20))
    await api.wait_for(lambda method, params: method == "getUpdates")
    start = time.monotonic()
    stop.set()
    await asyncio.wait_for(task, 10)
    assert time.monotonic() - start < 5.0  # not the 20 s the long poll would last


async def test_processed_updates_are_confirmed_on_stop(bot: Bot, api: TelegramApiDouble) -> None:
    api.push_update(message_update(1, 42, "m1"))
    conversation, stop = FakeConversation(answer=echo), asyncio.Event()
    task = await poll(bot, conversation, stop)
    await api.wait_for(lambda method, params: method == "sendMessage")
    stop.set()
    await asyncio.wait_for(task, 3)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0


async def test_make_bot_honours_the_base_url(api: TelegramApiDouble) -> None:
    bot = make_bot(TOKEN, api.base_url)
    assert bot.base_url == api.base_url + TOKEN
    async with bot:
        assert bot.username == BOT_USERNAME


async def test_webhook_mode_registers_url_secret_and_update_types(bot: Bot, api: TelegramApiDouble) -> None:
    await start_webhook_mode(bot, "https://oasis.example/telegram/webhook", "s3cret_Token-1")
    assert api.webhook["url"] == "https://oasis.example/telegram/webhook"
    assert api.webhook["secret_token"] == "s3cret_Token-1"
    assert api.webhook["allowed_updates"] == ["message", "edited_message", "callback_query"]  # edits: the room
    info = await bot.get_webhook_info()
    assert info.url == "https://oasis.example/telegram/webhook"


@pytest.mark.parametrize("secret", ["", "has space", "x" * 257, "ünïcode"])
async def test_webhook_mode_refuses_a_secret_telegram_would_reject(bot: Bot, secret: str) -> None:
    with pytest.raises(ValueError):
        await start_webhook_mode(bot, "https://oasis.example/telegram/webhook", secret)


async def test_commands_arrive_through_polling_too(bot: Bot, api: TelegramApiDouble) -> None:
    seen: list[Inbound] = []

    async def conversation(inbound: Inbound) -> list[Message] | None:
        seen.append(inbound)
        return []

    stop = asyncio.Event()
    webhook = TelegramWebhook(bot, None, conversation, BOT_USERNAME)
    api.push_update(message_update(11, 42, f"/show@{BOT_USERNAME} 12"))
    task = asyncio.create_task(run_polling(bot, webhook, stop, poll_timeout=1))
    await api.wait_for(lambda method, params: method == "getUpdates" and params.get("offset") == 12)
    stop.set()
    await asyncio.wait_for(task, 3)
    assert [i.payload for i in seen] == [Command("show", "12")]
