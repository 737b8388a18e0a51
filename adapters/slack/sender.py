"""Neutral `Message` → Slack messages, for the outbox (paced, errors mapped) and for direct replies.

The outbox must know what to do after a failure, so Slack's answers are mapped to the neutral errors:
a 429 becomes RetryAfter with Slack's Retry-After, errors about the channel or user being gone become
PermanentError, 5xx and network trouble TransientError. Slack allows about one message per second per
channel with short bursts, so each channel has its own token bucket and a busy channel never delays
another one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.pacing import Limiters, TokenBucket
from adapters.slack.blocks import fallback_text, message_blocks
from adapters.slack.parse import OUR_MARKER
from adapters.slack.people import People
from bots.neutral import Message, Span, plain_text, signed_text
from bots.ports import CannotDelete, DeliveryError, PermanentError, RetryAfter, TransientError

PLATFORM = "slack"

# Slack's error codes after which sending the same message again can never work.
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "user_not_found", "user_not_visible",
    "user_disabled", "cannot_dm_bot", "messages_tab_disabled", "restricted_action", "not_allowed_token_type",
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "invalid_arguments",
    "message_not_found", "cant_update_message", "edit_window_closed", "user_not_in_channel",
})
# chat.update failures after which the message is posted anew instead (the card was deleted, etc.).
REPOST_ON = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError)
MARKER = {"event_type": OUR_MARKER, "event_payload": {"by": "oasis"}}
"""Metadata on every message the bot posts: its echo in the Events API is known as ours by it."""


def slack_error(exc: SlackApiError) -> str:
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    return str(data.get("error") or "")


def retry_after(exc: SlackApiError) -> float | None:
    """Seconds Slack asked us to wait, for a rate-limited answer; None otherwise."""
    if exc.response.status_code != 429 and slack_error(exc) != "ratelimited":
        return None
    header = (exc.response.headers or {}).get("Retry-After") or (exc.response.headers or {}).get("retry-after")
    try:
        return max(float(header), 0.0) if header is not None else 1.0
    except ValueError:
        return 1.0


def neutral_error(exc: SlackApiError) -> DeliveryError:
    """What the outbox should do about a Slack API error."""
    wait = retry_after(exc)
    if wait is not None:
        return RetryAfter(wait)
    error = slack_error(exc)
    if exc.response.status_code >= 500:
        return TransientError(f"HTTP {exc.response.status_code} {error}".strip())
    if error in PERMANENT_ERRORS:
        return PermanentError(error)
    # invalid_auth, internal_error, unknown codes: not this message's fault; retry with backoff.
    return TransientError(error or f"HTTP {exc.response.status_code}")


def content(messages: list[Message], *, as_author: bool = False) -> dict[str, Any]:
    """The text and blocks of one Slack message made of one or more replies. `as_author`: a room copy is
    posted under its author's name (chat:write.customize), so its text is not signed."""
    first = messages[0]
    if as_author and first.author is not None:
        shown = messages
        named: dict[str, Any] = {"username": first.author.label[:80]}
    else:
        shown = [Message(chat_id=m.chat_id, text=signed_text(m), buttons=m.buttons) if m.author else m
                 for m in messages]
        named = {}
    text = fallback_text((Span("\n".join(plain_text(m.text) for m in shown)),))
    return {"text": text or " ", "blocks": message_blocks(shown), **named}


async def post(client: AsyncWebClient, channel: str, messages: list[Message], *, as_author: bool = False) -> str:
    """Post (or, for an edit, update) one message in `channel`; returns its ts. Raises SlackApiError."""
    first = messages[0]
    body = content(messages, as_author=as_author)
    if first.edit_message_id:
        try:
            await client.chat_update(channel=channel, ts=first.edit_message_id, **_unnamed(body))
            return first.edit_message_id
        except SlackApiError as exc:
            if slack_error(exc) not in REPOST_ON:
                raise
    response = await client.chat_postMessage(channel=channel, thread_ts=first.thread_id, mrkdwn=False,
                                             unfurl_links=False, unfurl_media=False, metadata=MARKER, **body)
    return str(response.get("ts") or "")


def _unnamed(body: dict[str, Any]) -> dict[str, Any]:
    """chat.update cannot change who a message is from: its name stays what it was posted with."""
    return {key: value for key, value in body.items() if key != "username"}


async def post_ephemeral(client: AsyncWebClient, channel: str, user: str, messages: list[Message]) -> None:
    """Only `user` sees it: replies to a command typed in a shared channel do not spam the channel."""
    await client.chat_postEphemeral(channel=channel, user=user, **content(messages))


class SlackSender:
    """The outbox's `Sender` for Slack: opens DMs for user ids, paces per channel, maps errors."""

    platform = PLATFORM
    replies_natively = False  # a thread has no replies to one message: the room quotes it in the text

    def __init__(self, client: AsyncWebClient, people: People, *, rate: float = 1.0, burst: int = 3,
                 admin: AsyncWebClient | None = None) -> None:
        self.client = client
        self.people = people
        self.admin = admin
        """A workspace admin's user token (SLACK_ADMIN_USER_TOKEN): only it may delete people's messages."""
        self.as_author = False
        """The app may post under another name (chat:write.customize): room copies show their author."""
        self.pacer = Limiters(lambda _channel: TokenBucket(rate, burst))

    async def send(self, message: Message) -> str | None:
        """Send (or edit) one message, waiting only on this channel's limit; returns Slack's ts."""
        return await self._paced(message.chat_id, lambda channel: post(self.client, channel, [message],
                                                                       as_author=self.as_author))

    async def post_copy(self, message: Message, parts: Sequence[str],
                        keep: Callable[[list[str]], Awaitable[None]]) -> None:
        """A room copy is one Slack message whatever its length (a room message fits in its blocks); it
        replaces the parts another length limit once needed (RoomSender.post_copy)."""
        first = parts[0] if parts else None
        ts = await self._paced(message.chat_id, lambda channel: post(self.client, channel, [
            Message(chat_id=channel, text=message.text, thread_id=message.thread_id, edit_message_id=first,
                    author=message.author)], as_author=self.as_author))
        if not ts:
            raise TransientError("chat.postMessage returned no ts")
        if first != ts:
            await keep([ts])
        for surplus in parts[1:]:
            await self.delete(message.chat_id, surplus)
        if len(parts) > 1:
            await keep([ts])

    async def open_thread(self, chat_id: str, title: str) -> str:
        """A dialogue-room thread: the bot's root message in the room channel, named `title`."""
        ts = await self._paced(chat_id, lambda channel: post(self.client, channel, [
            Message(chat_id=channel, text=(Span(title, "bold"),))]))
        if not ts:
            raise TransientError("chat.postMessage returned no ts for the thread's root")
        return ts

    async def delete(self, chat_id: str, message_id: str) -> None:
        """Delete a message: the bot's own with its token, a person's with the admin's if there is one."""
        async def call(channel: str) -> str:
            for client in (self.client, self.admin):
                if client is None:
                    break
                try:
                    await client.chat_delete(channel=channel, ts=message_id, as_user=client is self.admin or None)
                    return message_id
                except SlackApiError as exc:
                    if slack_error(exc) == "message_not_found":
                        return message_id
                    if slack_error(exc) != "cant_delete_message":
                        raise
            raise CannotDelete("cant_delete_message")

        await self._paced(chat_id, call)

    async def close_thread(self, chat_id: str, place: str) -> None:
        """Slack threads cannot be closed: the closing note posted in it says so."""

    async def _paced(self, chat_id: str, call: Callable[[str], Awaitable[str]]) -> str:
        channel = chat_id
        try:
            channel = await self.people.channel_for(chat_id)
            await self.pacer.get(channel).acquire()
            return await call(channel)
        except SlackApiError as exc:
            error = neutral_error(exc)
            if isinstance(error, RetryAfter):
                self.pacer.get(channel).pause(error.seconds)
            raise error from exc
        except NETWORK_ERRORS as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
