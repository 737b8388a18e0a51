"""Telegram `Update` → neutral `Inbound`: the only place that knows Telegram's update shapes."""

from __future__ import annotations

from dataclasses import replace

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
