"""`POST /slack/events`: slash commands, Events API and interactivity through slack-bolt's AsyncApp.

Bolt verifies the signature (401 on a bad or stale one) and we acknowledge first, then work, as Slack
wants an answer within 3 seconds (Bolt's default `process_before_response=False`): events are acked
by Bolt itself, commands and button presses call `ack()` before the conversation runs. A modal
submission is the exception: its answer may carry the form's errors, so the conversation runs first
and the ack follows — within a budget; past it the modal is closed and the outcome sent by DM.

A request Slack retries (X-Slack-Retry-Num) carries the same event id or trigger_id, which the
conversation's inbox has already stored, so it changes nothing and sends nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import parse
from adapters.slack.people import People
from adapters.slack.replies import Replies
from adapters.slack.sender import SlackSender
from bots.neutral import InboundHandler, Outbound, Span

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
DEFAULT_API_URL = "https://slack.com/api/"
SLASH_COMMAND = "/oasis"
Body = dict[str, Any]


def make_client(token: str, api_url: str = DEFAULT_API_URL) -> AsyncWebClient:
    """The Web API client; `api_url` (SLACK_API_URL) must end in "/api/" like Slack's own."""
    return AsyncWebClient(token=token, base_url=api_url if api_url.endswith("/") else api_url + "/", timeout=10)


class SlackAdapter:
    """Everything Slack: Bolt on our aiohttp server, the direct replies, and the outbox sender."""

    def __init__(self, token: str, signing_secret: str, handler: InboundHandler, *,
                 api_url: str = DEFAULT_API_URL, command: str = SLASH_COMMAND, view_budget: float = 2.5) -> None:
        self.client = make_client(token, api_url)
        self.people = People(self.client)
        self.sender = SlackSender(self.client, self.people)
        self.replies = Replies(self.client, self.people)
        self._handler = handler
        self._view_budget = view_budget
        self.bolt = AsyncApp(client=self.client, signing_secret=signing_secret, process_before_response=False,
                             logger=logging.getLogger("slack_bolt"))
        self.bolt.command(command)(self.on_command)
        self.bolt.event("message")(self.on_message)
        self.bolt.event("app_home_opened")(self.on_home)
        self.bolt.action(re.compile(".*"))(self.on_action)
        self.bolt.view(re.compile(".*"))(self.on_view)

    async def start(self) -> None:
        """One HTTP session for all API calls (slack_sdk would otherwise open one per call)."""
        if self.client.session is None or self.client.session.closed:
            self.client.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.client.timeout))

    async def stop(self) -> None:
        if self.client.session is not None:
            await self.client.session.close()
            self.client.session = None

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler mounted at POST /slack/events."""
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    # -- listeners (Bolt injects arguments by name) -------------------------------------------------
    async def on_command(self, ack: AsyncAck, body: Body) -> None:
        await ack()
        user = str(body.get("user_id", ""))
        who = await self.people.who(user, str(body.get("user_name") or ""))
        direct = await self.people.is_bot_dm(user, str(body.get("channel_id", "")))
        inbound = parse.command_inbound(body, who, direct)
        await self.replies.deliver(inbound, await self._handler(inbound), trigger_id=body.get("trigger_id"))

    async def on_message(self, body: Body, event: Body) -> None:
        if not parse.is_person_message(event):
            return
        who = await self.people.who(str(event["user"]))
        inbound = parse.message_inbound(body, who)
        await self.replies.deliver(inbound, await self._handler(inbound))

    async def on_home(self, body: Body, event: Body) -> None:
        user = str(event.get("user", ""))
        inbound = parse.home_inbound(body, await self.people.who(user))
        if inbound is not None:
            await self.replies.publish_home(user, await self._handler(inbound))

    async def on_action(self, ack: AsyncAck, body: Body) -> None:
        await ack()
        user = str((body.get("user") or {}).get("id", ""))
        who = await self.people.who(user, str((body.get("user") or {}).get("name") or ""))
        channel = parse.action_channel(body)
        if channel is None:  # a button on the Home tab: answer in the DM
            chat, direct = await self._dm_or_user(user), True
        else:
            chat, direct = channel, await self.people.is_bot_dm(user, channel)
        inbound = parse.action_inbound(body, who, chat, direct)
        if inbound is not None:
            await self.replies.deliver(inbound, await self._handler(inbound), trigger_id=body.get("trigger_id"))

    async def on_view(self, ack: AsyncAck, body: Body) -> None:
        """Run the form first so refused fields are shown in the modal; then the outcome goes by DM."""
        user = str((body.get("user") or {}).get("id", ""))
        who = await self.people.who(user, str((body.get("user") or {}).get("name") or ""))
        inbound = parse.view_inbound(body, who, await self._dm_or_user(user))
        task = asyncio.ensure_future(self._handler(inbound))
        done, _ = await asyncio.wait({task}, timeout=self._view_budget)
        if not done:  # too slow to answer in the modal: close it, report by DM
            await ack()
            replies = await task
            await self.replies.to_user(user, _errors_as_messages(replies or [], user))
            return
        replies = task.result()  # raising here makes Bolt answer 500: Slack shows an error in the modal
        errors = form_errors(replies or [], parse.input_names(body.get("view") or {}))
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        await self.replies.to_user(user, replies or [])

    async def _dm_or_user(self, user: str) -> str:
        """The bot's DM with the user, or the user id (the sender opens the DM later) if Slack is slow."""
        try:
            return await self.people.dm_channel(user)
        except Exception as exc:
            log.warning("conversations.open %s failed: %r", user, exc)
            return user


def form_errors(replies: list[Outbound], inputs: list[str]) -> dict[str, str]:
    """{block id: message} for a refused submission; an error for an unknown input goes on the first one."""
    errors: dict[str, str] = {}
    for reply in replies:
        for name, message in reply.form_errors:
            key = name if name in inputs or not inputs else inputs[0]
            errors[key] = f"{errors[key]} {message}" if key in errors else message
    return errors


def _errors_as_messages(replies: list[Outbound], user: str) -> list[Outbound]:
    out = [r for r in replies if not r.form_errors]
    for reply in replies:
        for _name, message in reply.form_errors:
            out.append(Outbound(chat_id=user, text=(Span(message),)))
    return out
