"""The conversation's direct replies, delivered the Slack way.

- In the bot's DM: ordinary messages (consecutive replies merged into one message with dividers);
  an edit becomes chat.update.
- In a shared channel (a slash command or a card's button): ephemeral messages only the person sees,
  so channels are not spammed; where the bot cannot post (a channel it is not in, a DM between two
  people) the reply goes to the person's DM instead.
- A form opens a modal with the event's trigger_id; the App Home shows its replies as the Home view.
- A button's toast (Telegram's answerCallbackQuery) becomes an ephemeral message, but only when nothing else answers.
Direct replies never raise: a failure is logged (the person can ask again), a short 429 is waited out once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import group_messages, home_view, modal_view
from adapters.slack.people import People
from adapters.slack.sender import NETWORK_ERRORS, post, post_ephemeral, retry_after, slack_error
from bots.neutral import ButtonPress, Inbound, Message, OpenForm, RefuseForm, Reply, Span, Toast, plain_text

log = logging.getLogger(__name__)

# Errors meaning "the bot cannot write there": answer in the person's DM instead.
NOT_HERE = frozenset({"channel_not_found", "not_in_channel", "is_archived", "user_not_in_channel",
                      "restricted_action"})
T = TypeVar("T")


def has_content(message: Message) -> bool:
    return bool(plain_text(message.text).strip() or message.buttons)


def visible(inbound: Inbound, replies: list[Reply]) -> tuple[list[Message], bool]:
    """The replies to show as messages, and whether they are only a button's toast turned into one."""
    shown: list[Message] = []
    toast: Toast | None = None
    opens_form = False
    for reply in replies:
        match reply:
            case Message() if has_content(reply):
                shown.append(reply)
            case Toast() if toast is None and reply.text:
                toast = reply
            case OpenForm():
                opens_form = True
            case Message() | Toast() | RefuseForm():
                pass
    if shown or not isinstance(inbound.payload, ButtonPress) or opens_form or toast is None:
        return shown, False
    return [Message(chat_id=inbound.where.chat_id, text=(Span(toast.text),))], True


class Replies:
    """Sends what the conversation answered to one event."""

    def __init__(self, client: AsyncWebClient, people: People, *, max_wait: float = 10.0) -> None:
        self.client = client
        self.people = people
        self.max_wait = max_wait

    async def deliver(self, inbound: Inbound, replies: list[Reply] | None, *,
                      trigger_id: str | None = None) -> None:
        if not replies:
            return
        form = next((r.form for r in replies if isinstance(r, OpenForm)), None)
        if form is not None and trigger_id:
            await self._call("views.open", lambda: self.client.views_open(trigger_id=trigger_id,
                                                                          view=modal_view(form)))
        user = inbound.who.user_id
        shown, only_notice = visible(inbound, replies)
        for group in group_messages(shown):
            if inbound.where.direct and not only_notice:
                await self._post(inbound.where.chat_id, group)
            else:
                await self._ephemeral(inbound.where.chat_id, user, group)

    async def publish_home(self, user_id: str, replies: list[Reply] | None) -> None:
        """The App Home tab, rebuilt from the replies to "mine"."""
        if replies is None:
            return
        view = home_view([r for r in replies if isinstance(r, Message) and has_content(r)])
        await self._call("views.publish", lambda: self.client.views_publish(user_id=user_id, view=view))

    async def to_user(self, user_id: str, replies: list[Reply]) -> None:
        """Messages to a person's DM (after a modal was submitted)."""
        for group in group_messages([m for m in replies if isinstance(m, Message) and has_content(m)]):
            await self._post(user_id, group)

    async def _post(self, chat_id: str, group: list[Message]) -> None:
        """A message in a channel the bot is in, or in a person's DM when `chat_id` is their user id."""
        async def send() -> str:
            return await post(self.client, await self.people.channel_for(chat_id), group)

        await self._call("chat.postMessage", send)

    async def _ephemeral(self, channel: str, user: str, group: list[Message]) -> None:
        try:
            await self._call("chat.postEphemeral", lambda: post_ephemeral(self.client, channel, user, group),
                             raise_for=NOT_HERE)
        except SlackApiError:
            plain = [Message(chat_id=user, text=m.text, buttons=m.buttons) for m in group]
            await self._post(user, plain)

    async def _call(self, method: str, call: Callable[[], Awaitable[T]],
                    raise_for: frozenset[str] = frozenset()) -> T | None:
        """Run one API call; wait out one short 429; log other failures (re-raise those in `raise_for`)."""
        for attempt in (1, 2):
            try:
                return await call()
            except SlackApiError as exc:
                if slack_error(exc) in raise_for:
                    raise
                wait = retry_after(exc)
                if wait is None or attempt == 2 or wait > self.max_wait:
                    log.warning("slack %s failed: %s", method, slack_error(exc) or exc.response.status_code)
                    return None
                await asyncio.sleep(wait)
            except NETWORK_ERRORS as exc:
                log.warning("slack %s failed: %r", method, exc)
                return None
        return None

