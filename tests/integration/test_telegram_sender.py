"""TelegramSender with the real PTB Bot over HTTP against the Bot API double."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import Bot

from adapters.telegram.sender import TelegramSender
from bots.neutral import Button, Message, Span
from bots.ports import PermanentError, RetryAfter, TransientError
from tests.doubles.telegram_api import TelegramApiDouble

CARD = (Span("Proposal "), Span("#12", "bold"), Span(" <script> & more"))




@pytest.fixture
def sender(bot: Bot) -> TelegramSender:
    return TelegramSender(bot, max_per_second=1000)


async def test_sends_escaped_html_with_a_keyboard_into_a_topic(sender: TelegramSender, api: TelegramApiDouble) -> None:
    buttons = ((Button("vote", "12", "Support"), Button("follow", "12", "Follow")),)
    message_id = await sender.send(Message("-100777", CARD, buttons=buttons, thread_id="55"))

    [sent] = api.sent_to(-100777)
    assert message_id is not None and int(message_id) > 0
    assert sent["text"] == "Proposal <b>#12</b> &lt;script&gt; &amp; more"
    assert sent["parse_mode"] == "HTML"
    assert sent["message_thread_id"] == 55
    assert sent["link_preview_options"] == {"is_disabled": True}
    keys = [(b["text"], b["callback_data"]) for b in sent["reply_markup"]["inline_keyboard"][0]]
    assert keys == [("Support", "vote:12"), ("Follow", "follow:12")]


async def test_edits_a_message_and_treats_not_modified_as_done(sender: TelegramSender, api: TelegramApiDouble) -> None:
    first = await sender.send(Message("42", CARD))
    assert first is not None
    edited = Message("42", (Span("Voted", "italic"),), edit_message_id=first)
    assert await sender.send(edited) == first
    assert await sender.send(edited) == first  # Telegram: "message is not modified"
    edits = [params for method, params in api.calls if method == "editMessageText"]
    assert [e["text"] for e in edits] == ["<i>Voted</i>", "<i>Voted</i>"]
    assert edits[0]["message_id"] == int(first)


async def test_long_text_goes_out_in_parts_with_buttons_on_the_last(
    sender: TelegramSender, api: TelegramApiDouble
) -> None:
    text = (Span("".join(f"comment {n}: <ok>\n" for n in range(500))),)
    await sender.send(Message("42", text, buttons=((Button("more", "2", "More"),),)))
    sent = api.sent_to(42)
    assert len(sent) >= 2
    assert all("reply_markup" not in params for params in sent[:-1])
    assert sent[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "more:2"


async def test_429_surfaces_as_retry_after_and_the_chat_then_waits(
    sender: TelegramSender, api: TelegramApiDouble
) -> None:
    api.fail_next("sendMessage", status=429, retry_after=2)
    with pytest.raises(RetryAfter) as caught:
        await sender.send(Message("42", CARD))
    assert caught.value.seconds == 2

    start = time.monotonic()
    await sender.send(Message("43", CARD))  # another chat is not held back
    assert time.monotonic() - start < 1.0
    await sender.send(Message("42", CARD))
    assert time.monotonic() - start >= 1.8
    assert len(api.sent_to(42)) == 1


async def test_blocked_by_the_user_is_permanent(sender: TelegramSender, api: TelegramApiDouble) -> None:
    api.fail_next("sendMessage", status=403)
    with pytest.raises(PermanentError, match="blocked"):
        await sender.send(Message("42", CARD))


async def test_chat_not_found_is_permanent(sender: TelegramSender, api: TelegramApiDouble) -> None:
    api.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    with pytest.raises(PermanentError, match=r"(?i)chat not found"):
        await sender.send(Message("42", CARD))


async def test_server_errors_are_transient(sender: TelegramSender, api: TelegramApiDouble) -> None:
    api.fail_next("sendMessage", status=502)
    with pytest.raises(TransientError):
        await sender.send(Message("42", CARD))
    assert await sender.send(Message("42", CARD)) is not None


async def test_oversized_callback_data_fails_before_calling_telegram(
    sender: TelegramSender, api: TelegramApiDouble
) -> None:
    with pytest.raises(PermanentError, match="64 bytes"):
        await sender.send(Message("42", CARD, buttons=((Button("vote", "x" * 70, "Support"),),)))
    assert "sendMessage" not in api.methods()


async def test_a_private_chat_is_paced_after_a_short_burst(sender: TelegramSender) -> None:
    start = time.monotonic()
    await asyncio.gather(*(sender.send(Message("42", (Span(f"n{n}"),))) for n in range(4)))
    assert time.monotonic() - start >= 0.8


async def test_different_chats_are_not_paced_against_each_other(sender: TelegramSender) -> None:
    start = time.monotonic()
    await asyncio.gather(*(sender.send(Message(str(chat), CARD)) for chat in range(1, 9)))
    assert time.monotonic() - start < 2.0  # paced against each other, 8 would take over 5 s


async def test_the_bot_wide_limit_holds_across_chats(bot: Bot, api: TelegramApiDouble) -> None:
    sender = TelegramSender(bot, max_per_second=2)
    start = time.monotonic()
    await asyncio.gather(*(sender.send(Message(str(chat), CARD)) for chat in range(1, 5)))
    assert time.monotonic() - start >= 0.8
    assert len([m for m in api.methods() if m == "sendMessage"]) == 4
