"""Who a Slack user is (name, locale) and which channel is their DM with the bot, cached.

Both need a Web API call (users.info, conversations.open) that would otherwise be repeated on every
event and every notice. Entries expire after an hour so a changed locale or name is picked up; the
cache is bounded so memory follows active users only.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any, Generic, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bots.neutral import Who

log = logging.getLogger(__name__)

PLATFORM = "slack"
USER_PREFIXES = ("U", "W")  # user ids; a DM to one goes through conversations.open
T = TypeVar("T")


class TtlCache(Generic[T]):
    """A small LRU with expiry."""

    def __init__(self, ttl: float, size: int) -> None:
        self.ttl, self.size = ttl, size
        self._items: OrderedDict[str, tuple[float, T]] = OrderedDict()

    def get(self, key: str) -> T | None:
        item = self._items.get(key)
        if item is None or item[0] < time.monotonic():
            self._items.pop(key, None)
            return None
        self._items.move_to_end(key)
        return item[1]

    def put(self, key: str, value: T) -> None:
        self._items[key] = (time.monotonic() + self.ttl, value)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def is_user_id(chat_id: str) -> bool:
    return chat_id.startswith(USER_PREFIXES)


def _who(user_id: str, user: dict[str, Any], fallback_name: str) -> Who:
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
    return Who(PLATFORM, user_id, str(name or fallback_name), user.get("locale") or None)


class People:
    """users.info and conversations.open behind caches; safe to share between the sender and the events."""

    def __init__(self, client: AsyncWebClient, *, ttl: float = 3600.0, size: int = 10_000) -> None:
        self.client = client
        self._who: TtlCache[Who] = TtlCache(ttl, size)
        self._dms: TtlCache[str] = TtlCache(ttl * 24, size)

    async def who(self, user_id: str, fallback_name: str = "") -> Who:
        """The person with their Slack locale; without users.info (an outage) just the id and name given."""
        known = self._who.get(user_id)
        if known is not None:
            return known
        try:
            response = await self.client.users_info(user=user_id, include_locale=True)
        except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
            log.warning("users.info %s failed: %r", user_id, exc)
            return Who(PLATFORM, user_id, fallback_name)
        who = _who(user_id, response.get("user") or {}, fallback_name)
        self._who.put(user_id, who)
        return who

    async def dm_channel(self, user_id: str) -> str:
        """The id of the bot's DM with this user, opening it if needed; raises SlackApiError."""
        known = self._dms.get(user_id)
        if known is not None:
            return known
        response = await self.client.conversations_open(users=user_id)
        channel = str((response.get("channel") or {})["id"])
        self._dms.put(user_id, channel)
        return channel

    async def channel_for(self, chat_id: str) -> str:
        """Where to post for a chat id: a user id means their DM with the bot; anything else is a channel."""
        return await self.dm_channel(chat_id) if is_user_id(chat_id) else chat_id

    async def is_bot_dm(self, user_id: str, channel: str) -> bool:
        """True when `channel` is this user's DM with the bot (not a DM between two people)."""
        if not channel.startswith("D"):
            return False
        try:
            return await self.dm_channel(user_id) == channel
        except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
            log.warning("conversations.open %s failed: %r", user_id, exc)
            return False
