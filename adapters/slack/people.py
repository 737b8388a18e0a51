"""Who a Slack user is (name, locale) and which channel is their DM with the bot, cached.

Both need a Web API call (users.info, conversations.open) that would otherwise be repeated on every
event and every notice. Entries expire after an hour so a changed locale or name is picked up; the
cache is bounded so memory follows active users only. DM channels are also stored (bots.ports.DirectChats,
on the person's identity): conversations.open is limited to about 50 a minute, so a restart, or another
instance, must not open again the hundreds a fan-out needs.
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
from bots.ports import DirectChats

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

    def __init__(self, client: AsyncWebClient, *, ttl: float = 3600.0, size: int = 10_000,
                 store: DirectChats | None = None) -> None:
        self.client = client
        self.store = store
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
        known = self._dms.get(user_id) or await self._stored(user_id)
        if known is not None:
            self._dms.put(user_id, known)
            return known
        response = await self.client.conversations_open(users=user_id)
        channel = str((response.get("channel") or {})["id"])
        self._dms.put(user_id, channel)
        if self.store is not None:
            try:
                await self.store.remember(PLATFORM, user_id, channel)
            except Exception as error:  # kept in memory still; only another process would open it again
                log.warning("could not store the DM channel of %s: %r", user_id, error)
        return channel

    async def _stored(self, user_id: str) -> str | None:
        if self.store is None:
            return None
        try:
            return await self.store.known(PLATFORM, user_id)
        except Exception as error:  # the database is failing: ask Slack rather than not send
            log.warning("could not read the DM channel of %s: %r", user_id, error)
            return None

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
