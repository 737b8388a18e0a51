"""Telegram updates (as Telegram posts them) → neutral Inbound events."""

from __future__ import annotations

from typing import Any

from telegram import Update

from adapters.telegram.parse import to_inbound
from bots.neutral import ButtonPress, Command, Inbound, Payload, Text, Where, Who
from tests.doubles.telegram_updates import (
    BOT_USERNAME,
    callback_update,
    join_update,
    message_update,
    photo_update,
)

GROUP = -1001234567890


def parse(data: dict[str, Any], bot_username: str | None = BOT_USERNAME) -> Inbound | None:
    return to_inbound(Update.de_json(data, None), bot_username)


def payload(data: dict[str, Any]) -> Payload:
    inbound = parse(data)
    assert inbound is not None
    return inbound.payload


def test_plain_text_in_a_private_chat() -> None:
    inbound = parse(message_update(10, 42, "hello <b>", first_name="Min-ji", language_code="ko"))
    assert inbound == Inbound(
        platform="telegram",
        event_id="10",
        who=Who(platform="telegram", user_id="42", display_name="Min-ji", locale="ko"),
        where=Where(chat_id="42", direct=True, thread_id=None),
        payload=Text("hello <b>"),
        message_id="10",
    )


def test_in_a_forum_topic_the_topic_is_not_a_reply_but_an_answer_is() -> None:
    plain = parse(message_update(1, 42, "hi", chat_id=GROUP, chat_type="supergroup", thread_id=7, message_id=20))
    assert plain is not None
    assert (plain.where.thread_id, plain.message_id, plain.reply_to) == ("7", "20", None)
    answer = parse(message_update(2, 42, "yes", chat_id=GROUP, chat_type="supergroup", thread_id=7,
                                  message_id=21, reply_to=20))
    assert answer is not None and answer.reply_to == "20"
    general = parse(message_update(3, 42, "lobby", chat_id=GROUP, chat_type="supergroup", message_id=22))
    assert general is not None and (general.where.thread_id, general.reply_to) == (None, None)


def test_a_command_with_args() -> None:
    inbound = parse(message_update(1, 42, "/Comment 12   great idea, really  "))
    assert inbound is not None
    assert inbound.payload == Command("comment", "12   great idea, really")


def test_a_command_without_args_and_across_lines() -> None:
    assert payload(message_update(1, 42, "/help")) == Command("help", "")
    inbound = parse(message_update(1, 42, "/comment\n12 first line\nsecond"))
    assert inbound is not None
    assert inbound.payload == Command("comment", "12 first line\nsecond")


def test_a_command_addressed_to_this_bot() -> None:
    inbound = parse(message_update(1, 42, "/vote@Oasis_Test_Bot 12", chat_id=GROUP, chat_type="supergroup"))
    assert inbound is not None
    assert inbound.payload == Command("vote", "12")
    assert inbound.where == Where(chat_id=str(GROUP), direct=False)


def test_a_group_command_for_another_bot_is_ignored() -> None:
    assert parse(message_update(1, 42, "/vote@other_bot 12", chat_id=GROUP, chat_type="supergroup")) is None


def test_a_command_for_another_bot_in_private_is_still_ours() -> None:
    inbound = parse(message_update(1, 42, "/start@other_bot"))
    assert inbound is not None
    assert inbound.payload == Command("start", "")


def test_without_a_known_username_any_target_is_accepted() -> None:
    inbound = parse(message_update(1, 42, "/top@whoever", chat_id=GROUP), bot_username=None)
    assert inbound is not None
    assert inbound.payload == Command("top", "")


def test_a_lone_slash_is_text() -> None:
    assert payload(message_update(1, 42, "/")) == Text("/")
    assert payload(message_update(1, 42, "/ 12")) == Text("/ 12")


def test_a_forum_topic_message_carries_its_thread() -> None:
    inbound = parse(message_update(5, 42, "I agree", chat_id=GROUP, chat_type="supergroup", thread_id=77))
    assert inbound is not None
    assert inbound.where == Where(chat_id=str(GROUP), direct=False, thread_id="77")
    assert inbound.payload == Text("I agree")


def test_a_button_press() -> None:
    inbound = parse(callback_update(7, 42, "vote:12", message_id=99, language_code=None))
    assert inbound is not None
    assert inbound.event_id == "7"
    assert inbound.payload == ButtonPress(action="vote", value="12", message_id="99")
    assert inbound.who.locale is None
    assert inbound.where == Where(chat_id="42", direct=True)


def test_button_data_splits_on_the_first_colon_only() -> None:
    assert payload(callback_update(1, 42, "review:12:forward")) == ButtonPress("review", "12:forward", "1")
    assert payload(callback_update(1, 42, "cancel")) == ButtonPress("cancel", "", "1")


def test_a_button_press_in_a_group() -> None:
    inbound = parse(callback_update(1, 42, "vote:3", chat_id=GROUP))
    assert inbound is not None
    assert inbound.where == Where(chat_id=str(GROUP), direct=False)
    assert inbound.who.user_id == "42"


def test_a_photo_in_private_becomes_empty_text() -> None:
    inbound = parse(photo_update(3, 42))
    assert inbound is not None
    assert inbound.payload == Text("")
    assert inbound.where.direct


def test_a_photo_in_a_group_is_ignored() -> None:
    assert parse(photo_update(3, 42, chat_id=GROUP, chat_type="supergroup")) is None


def test_service_messages_are_ignored() -> None:
    assert parse(join_update(4, 42, GROUP)) is None


def test_edited_messages_are_ignored() -> None:
    data = message_update(8, 42, "edited")
    data["edited_message"] = data.pop("message")
    data["edited_message"]["edit_date"] = data["edited_message"]["date"]
    assert parse(data) is None


def test_messages_from_bots_are_ignored() -> None:
    data = message_update(9, 42, "/start")
    data["message"]["from"]["is_bot"] = True
    assert parse(data) is None
