"""What a platform sent, made safe to store: a hostile event must neither fail forever nor be lost.

A display name may be 300 characters with a NUL in it, a language code 60 characters, an event id 121
digits; PostgreSQL refuses NUL in text and values beyond a column's length, so the event would fail on
every re-delivery and hold up the chat behind it. Text is cleaned and clipped, over-long event ids are
hashed (still unique, still the same on re-delivery), and an event whose person or chat cannot be
named in a column is dropped with one log line: no retry could fix it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import replace

from bots.neutral import ButtonPress, Command, Deleted, Edited, FormSubmit, Inbound, Payload, Text

log = logging.getLogger(__name__)

ID_LIMIT = 100  # the id columns' length
NAME_LIMIT = 200
VALUE_LIMIT = 16_000  # longer than any message a platform delivers; bounds what a forged one costs
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # keeps tab, newline and carriage return
_LINE_BREAKS = re.compile(r"[\t\r\n]+")
_LOCALE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,2}")  # "en", "pt-BR", "zh-Hant-TW"; else unknown


def clean(text: str, limit: int = VALUE_LIMIT) -> str:
    """Without NUL and other control characters, at most `limit` characters."""
    return _CONTROL.sub("", text)[:limit]


def one_line(text: str, limit: int) -> str:
    return _LINE_BREAKS.sub(" ", clean(text)).strip()[:limit]


def excerpt(text: str, limit: int = 40) -> str:
    """What an answer may quote of a person's input: a short prefix, so a 100,000-character message
    is not echoed back as six."""
    flat = one_line(text, limit + 1)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def safe_event_id(event_id: str) -> str:
    if len(event_id) <= ID_LIMIT:
        return event_id
    return "sha256:" + hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()


def sanitize(inbound: Inbound) -> Inbound | None:
    """A storable copy of `inbound`, or None (logged) when it names a person or chat no column can hold."""
    ids = (inbound.who.user_id, inbound.where.chat_id, inbound.where.thread_id or "")
    if any(len(value) > ID_LIMIT or clean(value) != value or not value.strip() for value in ids[:2]) or \
            len(ids[2]) > ID_LIMIT:
        log.warning("%s event dropped: a user, chat or thread id is not a platform id (%d/%d/%d chars)",
                    inbound.platform, *(len(v) for v in ids))
        return None
    locale = inbound.who.locale if inbound.who.locale and _LOCALE.fullmatch(inbound.who.locale) else None
    name = one_line(inbound.who.display_name, NAME_LIMIT)
    who = inbound.who
    if name != who.display_name or locale != who.locale:
        who = replace(who, display_name=name, locale=locale)
    message_id, reply_to = (clean(v, ID_LIMIT) if v else None for v in (inbound.message_id, inbound.reply_to))
    event_id, payload = safe_event_id(inbound.event_id), _payload(inbound.payload)
    if (who is inbound.who and event_id == inbound.event_id and payload == inbound.payload
            and message_id == inbound.message_id and reply_to == inbound.reply_to):
        return inbound  # the usual case: nothing to clean, and no copy made
    return replace(inbound, event_id=event_id, who=who, payload=payload, message_id=message_id, reply_to=reply_to)


def _payload(payload: Payload) -> Payload:
    if isinstance(payload, Command):
        return Command(one_line(payload.name, 64), clean(payload.args))
    if isinstance(payload, Text):
        return Text(clean(payload.text))
    if isinstance(payload, Edited):
        return Edited(clean(payload.text))
    if isinstance(payload, Deleted):
        return payload
    if isinstance(payload, ButtonPress):
        return ButtonPress(clean(payload.action, 64), clean(payload.value, 256),
                           clean(payload.message_id, ID_LIMIT) if payload.message_id else None)
    return FormSubmit(clean(payload.form, 64), {clean(k, 64): clean(v) for k, v in payload.fields.items()},
                      clean(payload.state, 1000))
