"""Telegram objects as Telegram posts them: update builders, chats, and its HTML parse mode.

Shared by the API double (what it returns) and tests (what they post to the webhook), so both
stay faithful to the Bot API's shapes: "from" with is_bot, "date", bot_command entities, etc.
"""

from __future__ import annotations

import html
import itertools
import re
import time
from typing import Any

BOT_ID = 7000001
BOT_USERNAME = "oasis_test_bot"
BOT_USER: dict[str, Any] = {"id": BOT_ID, "is_bot": True, "first_name": "Oasis", "username": BOT_USERNAME}

_HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span"}
_HTML_TAGS |= {"tg-spoiler", "tg-emoji", "blockquote"}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
_query_ids = itertools.count(4_000_000_001)


def user_dict(user_id: int, first_name: str = "", language_code: str | None = "en") -> dict[str, Any]:
    """A human User; Telegram never sends an empty first name, so one is made up."""
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name or f"User {user_id}"}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def chat_dict(chat_id: int | str, chat_type: str | None = None) -> dict[str, Any]:
    """A Chat: positive ids are private chats, negative ones (forum) supergroups, "@name" channels."""
    if isinstance(chat_id, str) and chat_id.startswith("@"):
        return {"id": -1001000000001, "type": "channel", "title": chat_id[1:], "username": chat_id[1:]}
    chat_id = int(chat_id)
    chat_type = chat_type or ("private" if chat_id > 0 else "supergroup")
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type, "title": "Oasis room"}
    if chat_type == "supergroup":
        chat["is_forum"] = True
    return chat


def message_update(
    update_id: int,
    user_id: int,
    text: str,
    *,
    first_name: str = "",
    language_code: str | None = "en",
    chat_id: int | None = None,
    chat_type: str = "private",
    thread_id: int | None = None,
    message_id: int | None = None,
    reply_to: int | None = None,
) -> dict[str, Any]:
    """A text message update; a leading /command gets its bot_command entity like Telegram adds. In a
    forum topic (`thread_id`) a message that answers nobody still replies to the topic's first message,
    as Telegram sends it; `reply_to` answers that message instead."""
    message = _message_base(update_id, user_id, first_name, language_code, chat_id, chat_type, message_id)
    message["text"] = text
    if text.startswith("/") and len(text) > 1 and not text[1].isspace():
        command = text.split(maxsplit=1)[0]
        length = len(command.encode("utf-16-le")) // 2
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    if thread_id is not None:
        message.update(message_thread_id=thread_id, is_topic_message=True)
    if reply_to is not None or thread_id is not None:
        target = reply_to if reply_to is not None else thread_id
        replied: dict[str, Any] = {"message_id": target, "date": message["date"], "chat": message["chat"]}
        if reply_to is None:
            replied["forum_topic_created"] = {"name": "topic", "icon_color": 7322096}
        message["reply_to_message"] = replied
    return {"update_id": update_id, "message": message}


def edited_update(update_id: int, user_id: int, text: str, *, chat_id: int, message_id: int,
                  thread_id: int | None = None, first_name: str = "") -> dict[str, Any]:
    """A person changed the text of their message `message_id` (asked for with allowed_updates)."""
    message = _message_base(update_id, user_id, first_name, "en", chat_id, "supergroup", message_id)
    message.update(text=text, edit_date=int(time.time()))
    if thread_id is not None:
        message.update(message_thread_id=thread_id, is_topic_message=True)
    return {"update_id": update_id, "edited_message": message}


def photo_update(
    update_id: int, user_id: int, *, chat_id: int | None = None, chat_type: str = "private"
) -> dict[str, Any]:
    """A photo without caption: content the bot cannot read."""
    message = _message_base(update_id, user_id, "", "en", chat_id, chat_type, None)
    size = {"file_id": "AgACAgIAAxkBAAIB", "file_unique_id": "AQADAgATx", "width": 90, "height": 90}
    message["photo"] = [size]
    return {"update_id": update_id, "message": message}


def join_update(update_id: int, user_id: int, chat_id: int) -> dict[str, Any]:
    """A service message: someone joined a group."""
    message = _message_base(update_id, user_id, "", "en", chat_id, "supergroup", None)
    message["new_chat_members"] = [user_dict(user_id)]
    return {"update_id": update_id, "message": message}


def callback_update(
    update_id: int,
    user_id: int,
    data: str,
    *,
    message_id: int = 1,
    chat_id: int | None = None,
    language_code: str | None = "en",
) -> dict[str, Any]:
    """A button press on one of the bot's messages."""
    chat = chat_dict(chat_id if chat_id is not None else user_id)
    message = {"message_id": message_id, "date": int(time.time()) - 60, "chat": chat, "from": BOT_USER}
    message["text"] = "A message with buttons"
    query = {
        "id": str(next(_query_ids)),
        "from": user_dict(user_id, "", language_code),
        "chat_instance": f"-{abs(chat['id'])}77",
        "message": message,
        "data": data,
    }
    return {"update_id": update_id, "callback_query": query}


def bot_message(chat_id: int | str, message_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """The Message Telegram returns for sendMessage/editMessageText, or ValueError with its complaint."""
    text = str(params.get("text", ""))
    if str(params.get("parse_mode", "")).lower() == "html":
        text = html_to_plain(text)
    text = text.strip()
    if not text:
        raise ValueError("message text is empty")
    if len(text.encode("utf-16-le")) // 2 > 4096:
        raise ValueError("message is too long")
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat_dict(chat_id),
        "from": BOT_USER,
        "text": text,
    }
    markup = params.get("reply_markup")
    if markup:
        for row in markup.get("inline_keyboard", []):
            if any(len(button.get("callback_data", "").encode()) > 64 for button in row):
                raise ValueError("BUTTON_DATA_INVALID")
        message["reply_markup"] = markup
    return message


def html_to_plain(text: str) -> str:
    """Telegram's HTML parse mode: only its tags, balanced, every & and < escaped; else ValueError."""
    out: list[str] = []
    open_tags: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = _TAG.match(text, i)
            name = match.group(2).lower() if match else ""
            if match is None or name not in _HTML_TAGS:
                raise ValueError(f"can't parse entities: unsupported start tag at offset {i}")
            if match.group(1):
                if not open_tags or open_tags.pop() != name:
                    raise ValueError(f"can't parse entities: unmatched end tag at offset {i}")
            else:
                open_tags.append(name)
            i = match.end()
        elif char == "&":
            entity = _ENTITY.match(text, i)
            if entity is None:
                raise ValueError(f"can't parse entities: unsupported entity at offset {i}")
            out.append(html.unescape(entity.group(0)))
            i = entity.end()
        else:
            out.append(char)
            i += 1
    if open_tags:
        raise ValueError(f"can't parse entities: can't find end tag for {open_tags[-1]}")
    return "".join(out)


def _message_base(
    message_id_seed: int,
    user_id: int,
    first_name: str,
    language_code: str | None,
    chat_id: int | None,
    chat_type: str,
    message_id: int | None,
) -> dict[str, Any]:
    if chat_id is not None and chat_id < 0 and chat_type == "private":
        chat_type = "supergroup"  # a negative id is never a private chat
    chat = chat_dict(chat_id if chat_id is not None else user_id, chat_type)
    return {
        "message_id": message_id if message_id is not None else message_id_seed,
        "date": int(time.time()),
        "chat": chat,
        "from": user_dict(user_id, first_name, language_code),
    }
