"""Telegram `Update` → neutral `Inbound`: the only place that knows Telegram's update shapes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from telegram import CallbackQuery, Chat, Message, Update, User

from bots.neutral import ButtonPress, Command, Edited, Inbound, Payload, Text, Where, Who

PLATFORM = "telegram"


def to_inbound(update: Update, bot_username: str | None) -> Inbound | None:
    """The neutral event for an update, or None when there is nothing the conversation should see.

    None covers service messages (joins, pins, topic changes), edits outside groups, posts by bots, commands
    addressed to another bot in a group, and non-text messages outside private chats.
    A non-text message in a private chat becomes Text("") so the bot can say it only reads text.
    """
    if update.callback_query is not None:
        return _from_callback(update.update_id, update.callback_query)
    if update.message is not None:
        return _from_message(update.update_id, update.message, bot_username)
    if update.edited_message is not None:
        return _from_edit(update.update_id, update.edited_message)
    return None


def _from_edit(update_id: int, message: Message) -> Inbound | None:
    """A person changed the text of a message in a group (the room mirrors it); elsewhere it changes
    nothing, since a command is not run again."""
    user = message.from_user
    if user is None or user.is_bot or message.text is None or message.chat.type == Chat.PRIVATE:
        return None
    thread = message.message_thread_id if message.is_topic_message else None
    return replace(_inbound(update_id, user, message.chat, thread, Edited(message.text)),
                   message_id=str(message.message_id))


def _from_callback(update_id: int, query: CallbackQuery) -> Inbound | None:
    message = query.message
    if message is None:  # inline-mode message: not a chat we can answer in
        return None
    action, _, value = (query.data or "").partition(":")
    payload = ButtonPress(action=action, value=value, message_id=str(message.message_id))
    thread = message.message_thread_id if isinstance(message, Message) and message.is_topic_message else None
    return _inbound(update_id, query.from_user, message.chat, thread, payload)


def _from_message(update_id: int, message: Message, bot_username: str | None) -> Inbound | None:
    user = message.from_user
    if user is None or user.is_bot:
        return None
    direct = message.chat.type == Chat.PRIVATE
    thread = message.message_thread_id if message.is_topic_message else None
    if message.text is None:
        if direct and message.effective_attachment is not None:
            return _inbound(update_id, user, message.chat, thread, Text(""))
        return None
    payload = _text_payload(message.text, bot_username, direct)
    if payload is None:
        return None
    return replace(_inbound(update_id, user, message.chat, thread, payload),
                   message_id=str(message.message_id), reply_to=_answered(message))


def _answered(message: Message) -> str | None:
    """The message this one replies to. In a forum topic every message "replies" to the topic's first
    (service) message: that is the topic, not an answer to anyone."""
    target = message.reply_to_message
    if target is None or target.forum_topic_created is not None:
        return None
    if message.is_topic_message and target.message_id == message.message_thread_id:
        return None
    return str(target.message_id)


def _text_payload(text: str, bot_username: str | None, direct: bool) -> Payload | None:
    """A Command for "/name[@bot] args", else Text; None for a group command meant for another bot."""
    if not text.startswith("/") or not text[1:2].strip():
        return Text(text)
    head, *rest = text[1:].split(maxsplit=1)
    name, _, target = head.partition("@")
    if not name:
        return Text(text)
    if target and bot_username and target.lower() != bot_username.lstrip("@").lower() and not direct:
        return None
    args = rest[0].strip() if rest else ""
    return Command(name=name.lower(), args=args)


def _inbound(update_id: int, user: User, chat: Chat, thread: int | None, payload: Payload) -> Inbound:
    return Inbound(
        platform=PLATFORM,
        event_id=str(update_id),
        who=Who(
            platform=PLATFORM,
            user_id=str(user.id),
            display_name=user.full_name,
            locale=user.language_code,
        ),
        where=Where(
            chat_id=str(chat.id),
            direct=chat.type == Chat.PRIVATE,
            thread_id=str(thread) if thread is not None else None,
        ),
        payload=payload,
    )


_PRESS_KEYS = frozenset({"id", "from", "message", "chat_instance", "data"})


def press_from_json(data: dict[str, Any]) -> tuple[Inbound, str] | None:
    """The hot update shape — a button pressed on an ordinary message — read straight from the JSON, with
    the callback query's id; None for anything else, which takes the general path (`Update.de_json` and
    `to_inbound`). Gives exactly what the general path gives for the shapes it accepts (tested against it
    on generated updates), only without building PTB's objects, the largest cost of a press."""
    query, update_id = data.get("callback_query"), data.get("update_id")
    if len(data) != 2 or not isinstance(query, dict) or not _is_int(update_id) or not query.keys() <= _PRESS_KEYS:
        return None
    user, message, query_id, pressed = query.get("from"), query.get("message"), query.get("id"), query.get("data")
    if not isinstance(query_id, str) or not isinstance(pressed, str) or not isinstance(user, dict):
        return None
    if not isinstance(query.get("chat_instance"), str) or not isinstance(user.get("is_bot"), bool):
        return None
    if not isinstance(message, dict) or not _is_int(message.get("message_id")) or not _is_int(message.get("date")) \
            or message["date"] == 0:
        return None  # no message, or an inaccessible one (date 0)
    chat = message.get("chat")
    first, last, locale = user.get("first_name"), user.get("last_name"), user.get("language_code")
    if not isinstance(chat, dict) or not _is_int(chat.get("id")) or not isinstance(chat.get("type"), str):
        return None
    if not _is_int(user.get("id")) or not isinstance(first, str) or not isinstance(last, str | None) \
            or not isinstance(locale, str | None):
        return None
    thread = message.get("message_thread_id")
    topic = message.get("is_topic_message")
    if not (thread is None or _is_int(thread)) or not isinstance(topic, bool | None):
        return None
    action, _, value = pressed.partition(":")
    inbound = Inbound(
        platform=PLATFORM,
        event_id=str(update_id),
        who=Who(platform=PLATFORM, user_id=str(user["id"]), display_name=_full_name(first, last), locale=locale),
        where=Where(chat_id=str(chat["id"]), direct=chat["type"] == Chat.PRIVATE,
                    thread_id=str(thread) if topic and thread is not None else None),
        payload=ButtonPress(action=action, value=value, message_id=str(message["message_id"])),
    )
    return inbound, query_id


def _full_name(first: str, last: str | None) -> str:
    """As PTB's `User.full_name` has it, None for an empty first name included (the conversation copes)."""
    if not first:
        return None  # type: ignore[return-value]
    return f"{first} {last}" if last else first


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
