"""The messengers and other surfaces Oasis knows by name, with the facts about each that code outside its
adapter needs: what people call it, and whether a person can be written to first knowing only their id.

Core knows no platform by name; this table is passed to it where it matters (who the outbox can reach).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    name: str
    label: str
    """As people call it, e.g. in "News about proposals will reach you on Slack"."""
    user_id_is_chat: bool = False
    """A person granted a role by the CLI before ever talking to the bot can still be reached (Telegram:
    a private chat id equals the user id; Slack: the sender opens the DM from the user id)."""
    place_link: Callable[[str, str | None], str | None] | None = None
    """A link to a dialogue-room thread there, from the room's chat id and the thread's place."""
    vouches: bool = True
    """An account there is a person (a messenger's); a web chat session is only a browser's cookie, so its
    Support counts once the person linked a messenger account (core/votes.py)."""


def telegram_topic_link(chat_id: str, topic: str | None) -> str | None:
    """t.me/c/<id>/<topic> opens a forum topic for members of a supergroup (id -100<id>)."""
    if not chat_id.startswith("-100") or topic is None:
        return None
    return f"https://t.me/c/{chat_id[4:]}/{topic}"


PLATFORMS: dict[str, Platform] = {p.name: p for p in (
    Platform("telegram", "Telegram", user_id_is_chat=True, place_link=telegram_topic_link),
    Platform("slack", "Slack", user_id_is_chat=True),
    Platform("console", "terminal"),
    Platform("web", "web chat", vouches=False),
)}

MESSAGED_BY_USER_ID = frozenset(p.name for p in PLATFORMS.values() if p.user_id_is_chat)
UNVOUCHED = frozenset(p.name for p in PLATFORMS.values() if not p.vouches)
