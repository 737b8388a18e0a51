"""`POST /slack/events`: slash commands, Events API and interactivity through slack-bolt's AsyncApp.

The answer is the delivery contract with Slack, as for Telegram: a request is acknowledged only
after the conversation has stored its event, so a database outage loses nothing. Slack also wants
an answer within 3 seconds, so every request runs the same way (Bolt with
`process_before_response=True`: the listener's outcome is the HTTP answer):

- the person lookup, the parsing and the conversation run first, for at most `ack_budget` (2.5 s);
- stored in time: 200 (for a modal, with its refused fields), then the replies go out in the
  background, so sending them never delays the answer; a person's answers go out in the order their
  events were stored (adapters/in_order.py), however slow Slack is for one of them;
- the conversation raised (it re-raises only storage failures, e.g. the database is down): 500 and
  nothing acknowledged. The Events API re-delivers the event (X-Slack-Retry-Num); for a command,
  button or modal Slack shows the person an error, better than a silent loss;
- too slow: 200 anyway, before Slack gives up and retries; the work and its replies finish in the
  background (logged; a modal still open is closed and the outcome goes by DM). Should the slow
  event fail after all it is lost, which is the price of answering in time; should Slack re-deliver
  it anyway, the inbox makes the copy harmless.

A request Slack retries carries the same event id or trigger_id (or, without one, the same body:
`parse.interaction_id`), which the conversation's inbox has already stored, so it changes nothing
and sends nothing.

Before any of this, and before Bolt parses anything, the signature is checked on the raw body: 401
for a bad or stale one, or a timestamp that is not a number. A signed body that is not shaped as
Slack sends it (`parse.check`) is answered 400 with one warning line: sending it again cannot help.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import replace
from typing import Any, NamedTuple, TypeVar

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.in_order import InOrder, Turn
from adapters.slack import parse
from adapters.slack.people import People
from adapters.slack.replies import Replies
from adapters.slack.sender import SlackSender
from bots.log_throttle import ThrottledLog
from bots.neutral import Inbound, Message, RefuseForm, Reply, Span
from bots.ports import DirectChats, InboundHandler, Route

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
DEFAULT_API_URL = "https://slack.com/api/"
SLASH_COMMAND = "/oasis"
ACK_BUDGET = 2.5  # seconds: Slack's 3 s, less the time to verify, answer and cross the network
Body = dict[str, Any]
Deliver = Callable[[], Awaitable[None]]  # sends the replies once the request is answered


class Answer(NamedTuple):
    """What a request's stage leaves to send after the acknowledgement, and to whom (the order's key)."""
    person: str
    send: Deliver


T = TypeVar("T")
_FAILURES = ThrottledLog(log)  # an outage fails every request alike: one line a minute, with a count


def make_client(token: str, api_url: str = DEFAULT_API_URL) -> AsyncWebClient:
    """The Web API client; `api_url` (SLACK_API_URL) must end in "/api/" like Slack's own."""
    return AsyncWebClient(token=token, base_url=api_url if api_url.endswith("/") else api_url + "/", timeout=10)


def request_name(kind: str, body: Body) -> str:
    """What the logs call a request: its event id, or its kind and trigger_id."""
    if kind == "event":
        return f"event:{body.get('event_id', '')}"
    return parse.interaction_id(kind, body)


class SlackAdapter:
    """Everything Slack: Bolt on our aiohttp server, the direct replies, and the outbox sender."""

    name = "slack"
    keeps_replies = False  # its replies go out within Slack's 3-second acknowledgement, or not at all

    def __init__(self, token: str, signing_secret: str, handler: InboundHandler, *,
                 api_url: str = DEFAULT_API_URL, command: str = SLASH_COMMAND, ack_budget: float = ACK_BUDGET,
                 drain_timeout: float = 5.0, room_channel: str | None = None,
                 admin_token: str | None = None, direct_chats: DirectChats | None = None) -> None:
        self.client = make_client(token, api_url)
        self.admin = make_client(admin_token, api_url) if admin_token else None
        self.room_chat = room_channel
        self.people = People(self.client, store=direct_chats)
        self.sender = SlackSender(self.client, self.people, admin=self.admin)
        self.bot_user: str | None = None
        """The bot's own user id (auth.test): a message by it is one of our posts coming back."""
        self.replies = Replies(self.client, self.people)
        self._converse = handler
        self._command_prefix = f"{command} "
        self._budget = ack_budget
        self._drain_timeout = drain_timeout
        self._tasks: set[asyncio.Task[Any]] = set()  # work past its answer; held here so it is not collected
        self._answers = InOrder()  # a person's answers go out in the order of their events
        self._verifier = SignatureVerifier(signing_secret)
        self.bolt = AsyncApp(client=self.client, signing_secret=signing_secret, process_before_response=True,
                             logger=logging.getLogger("slack_bolt"))
        self.bolt.command(command)(self.on_command)
        self.bolt.event("message")(self.on_message)
        self.bolt.event("app_home_opened")(self.on_home)
        self.bolt.action(re.compile(".*"))(self.on_action)
        self.bolt.shortcut(re.compile(".*"))(self.on_shortcut)
        self.bolt.view(re.compile(".*"))(self.on_view)

    async def prepare(self) -> None:
        """One HTTP session for all API calls (slack_sdk would otherwise open one per call)."""
        for client in (self.client, self.admin):
            if client is not None and (client.session is None or client.session.closed):
                client.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=client.timeout))

    async def room_problem(self) -> str | None:
        if self.room_chat is None:
            return None
        try:
            answer = await self.client.auth_test()
        except SlackApiError as exc:
            return f"cannot check the bot token's scopes: {exc.response.get('error')}"
        self.bot_user = str(answer.get("user_id") or "") or None
        header = str(answer.headers.get("x-oauth-scopes") or answer.headers.get("X-OAuth-Scopes") or "")
        if not header:
            return None  # Slack did not say: the room's first messages will tell
        granted = {g.strip() for g in header.split(",")}
        self.sender.as_author = "chat:write.customize" in granted
        history = "groups:history" if self.room_chat.startswith("G") else "channels:history"
        missing = [s for s in ("chat:write", history) if s not in granted]
        if missing:
            return f"the app lacks the scopes {', '.join(missing)} (see slack-manifest.yml), then reinstall it"
        return None

    def routes(self) -> list[Route]:
        return [("POST", SLACK_PATH, self.handle)]

    async def start(self, stop: asyncio.Event) -> None:
        """Nothing to do once the server listens: Slack calls us."""

    def metrics(self) -> dict[str, float]:
        return {}

    async def stop(self) -> None:
        """Let work already acknowledged finish (bounded), then close the HTTP session."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=self._drain_timeout)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("slack: %d acknowledged requests cancelled at shutdown", len(pending))
                await asyncio.wait(pending)
        for client in (self.client, self.admin):
            if client is not None and client.session is not None:
                await client.session.close()
                client.session = None

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler mounted at POST /slack/events: verify, read, check, then hand over to Bolt."""
        raw = await request.read()
        if not self._signed(raw, request.headers):
            log.info("slack: unsigned or stale request refused with 401")
            return web.Response(status=401)
        try:
            bolt_request = AsyncBoltRequest(body=raw.decode(), query=request.query_string,
                                            headers=dict(request.headers))
            parse.check(bolt_request.body)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as exc:
            reason = str(exc) if isinstance(exc, parse.Malformed) else type(exc).__name__
            log.warning("slack: malformed request refused with 400: %s", reason)
            return web.Response(status=400)
        return await to_aiohttp_response(await self.bolt.async_dispatch(bolt_request))

    def _signed(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        """Slack's signature over the raw body, made within the last 5 minutes (slack_sdk checks both)."""
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        if not (timestamp.isascii() and timestamp.isdigit()):
            return False
        try:
            return self._verifier.is_valid(raw.decode(), timestamp, headers.get("X-Slack-Signature"))
        except (ValueError, TypeError):  # a body that is not UTF-8, a signature that is not ASCII
            return False

    # -- listeners (Bolt injects arguments by name; what one returns is the HTTP answer) ------------
    async def on_command(self, ack: AsyncAck, body: Body) -> BoltResponse | None:
        async def stage() -> Answer:
            user = str(body.get("user_id", ""))
            who = await self.people.who(user, str(body.get("user_name") or ""))
            direct = await self.people.is_bot_dm(user, str(body.get("channel_id", "")))
            inbound = parse.command_inbound(body, who, direct)
            replies = await self._handler(inbound)
            return Answer(user, lambda: self.replies.deliver(inbound, replies, trigger_id=body.get("trigger_id")))

        return await self._store_then_ack(request_name("command", body), ack, stage())

    async def on_message(self, ack: AsyncAck, body: Body, event: Body) -> BoltResponse | None:
        change = parse.room_change(event, self.bot_user)
        if parse.is_person_message(event):
            read, user = parse.message_inbound, str(event["user"])
        elif parse.is_room_message(event, self.bot_user):
            read, user = parse.room_message_inbound, str(event["user"])
        elif change is not None:
            read, user = parse.room_change_inbound, change[0]
        else:
            await ack()
            return None

        async def stage() -> Answer:
            inbound = read(body, await self.people.who(user))
            replies = await self._handler(inbound)
            return Answer(user, lambda: self.replies.deliver(inbound, replies))

        return await self._store_then_ack(request_name("event", body), ack, stage())

    async def on_home(self, ack: AsyncAck, body: Body, event: Body) -> BoltResponse | None:
        async def stage() -> Answer | None:
            user = str(event.get("user", ""))
            inbound = parse.home_inbound(body, await self.people.who(user))
            if inbound is None:
                return None
            replies = await self._handler(inbound)
            return Answer(user, lambda: self.replies.publish_home(user, replies))

        return await self._store_then_ack(request_name("event", body), ack, stage())

    async def on_action(self, ack: AsyncAck, body: Body) -> BoltResponse | None:
        async def stage() -> Answer | None:
            user = str((body.get("user") or {}).get("id", ""))
            who = await self.people.who(user, str((body.get("user") or {}).get("name") or ""))
            channel = parse.action_channel(body)
            if channel is None:  # a button on the Home tab: answer in the DM
                chat, direct = await self._dm_or_user(user), True
            else:
                chat, direct = channel, await self.people.is_bot_dm(user, channel)
            inbound = parse.action_inbound(body, who, chat, direct)
            if inbound is None:
                return None
            replies = await self._handler(inbound)
            return Answer(user, lambda: self.replies.deliver(inbound, replies, trigger_id=body.get("trigger_id")))

        return await self._store_then_ack(request_name("action", body), ack, stage())

    async def on_shortcut(self, ack: AsyncAck, body: Body) -> BoltResponse | None:
        """Report, Hide or Delete on a room message: answered only to the person (a form, or a notice)."""
        async def stage() -> Answer | None:
            user = str(body["user"]["id"])
            who = await self.people.who(user, str(body["user"].get("name") or ""))
            inbound = parse.shortcut_inbound(body, who)
            if inbound is None:
                return None
            replies = await self._handler(inbound)
            return Answer(user, lambda: self.replies.deliver(inbound, replies, trigger_id=body.get("trigger_id")))

        return await self._store_then_ack(request_name("shortcut", body), ack, stage())

    async def on_view(self, ack: AsyncAck, body: Body) -> BoltResponse | None:
        """Run the form first so refused fields are shown in the modal; then the outcome goes by DM."""
        name = request_name("view", body)
        user = str((body.get("user") or {}).get("id", ""))

        async def stage() -> list[Reply]:
            who = await self.people.who(user, str((body.get("user") or {}).get("name") or ""))
            inbound = parse.view_inbound(body, who, await self._dm_or_user(user))
            return await self._handler(inbound) or []

        task = self._keep(stage())
        if not await self._within_budget(name, task):  # too slow to answer in the modal: close it, DM
            await ack()

            async def late() -> None:
                replies = _errors_as_messages(await task, user)
                await self._in_order(name, Answer(user, lambda: self.replies.to_user(user, replies)))

            self._keep(self._logged(name, late()))
            return None
        if (error := _failure(task)) is not None:
            return _not_stored(name, error)  # Slack shows an error in the modal, which stays open
        replies = task.result()
        errors = form_errors(replies, parse.input_names(body.get("view") or {}))
        if errors:
            await ack(response_action="errors", errors=errors)
            return None
        await ack()
        self._in_order(name, Answer(user, lambda: self.replies.to_user(user, replies)))
        return None

    async def _handler(self, inbound: Inbound) -> list[Reply] | None:
        """The conversation, told that commands are typed here as `/oasis <command>`."""
        return await self._converse(replace(inbound, command_prefix=self._command_prefix))

    # -- the answer follows the storage -------------------------------------------------------------
    async def _store_then_ack(self, name: str, ack: AsyncAck,
                              stage: Coroutine[Any, Any, Answer | None]) -> BoltResponse | None:
        """Run `stage` (who, parse, the conversation) within the budget; answer by its outcome (module doc)."""
        task = self._keep(stage)
        if not await self._within_budget(name, task):
            await ack()
            self._keep(self._logged(name, self._answer_when_done(name, task)))
            return None
        if (error := _failure(task)) is not None:
            return _not_stored(name, error)
        await ack()
        answer = task.result()
        if answer is not None:
            self._in_order(name, answer)
        return None

    async def _within_budget(self, name: str, task: asyncio.Task[Any]) -> bool:
        """Wait for `task` up to the budget; False (logged) when it is still running."""
        done, _ = await asyncio.wait({task}, timeout=self._budget)
        if not done:
            log.warning("slack %s still running after %.1f s: acknowledged anyway, finishing in the background",
                        name, self._budget)
        return bool(done)

    async def _answer_when_done(self, name: str, task: asyncio.Task[Answer | None]) -> None:
        answer = await task
        if answer is not None:
            await self._in_order(name, answer)

    def _in_order(self, name: str, answer: Answer) -> asyncio.Task[None]:
        """Send `answer` in the background once the person's earlier answers are out (adapters/in_order.py)."""
        async def in_turn(turn: Turn) -> None:
            await turn()
            await self._logged(name, answer.send())

        return self._hold(self._answers.start(answer.person, in_turn))

    @staticmethod
    async def _logged(name: str, work: Awaitable[None]) -> None:
        """Work after the answer: a failure can no longer reach Slack, so it is logged."""
        try:
            await work
        except Exception:
            log.exception("slack %s failed after it was acknowledged", name)

    def _keep(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """`work` in a task the adapter holds until it ends, and waits for at `stop()`."""
        return self._hold(asyncio.ensure_future(work))

    def _hold(self, task: asyncio.Task[T]) -> asyncio.Task[T]:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _dm_or_user(self, user: str) -> str:
        """The bot's DM with the user, or the user id (the sender opens the DM later) if Slack is slow."""
        try:
            return await self.people.dm_channel(user)
        except Exception as exc:
            log.warning("conversations.open %s failed: %r", user, exc)
            return user


def _failure(task: asyncio.Task[Any]) -> BaseException | None:
    """What a finished task raised (a task cancelled at shutdown counts as a failure)."""
    return asyncio.CancelledError() if task.cancelled() else task.exception()


def _not_stored(name: str, error: BaseException) -> BoltResponse:
    """500: nothing was stored, so nothing is acknowledged (the Events API will re-deliver)."""
    _FAILURES.failure("slack request not stored, answered 500 (Slack retries events)", error)
    return BoltResponse(status=500, body="")


def form_errors(replies: list[Reply], inputs: list[str]) -> dict[str, str]:
    """{block id: message} for a refused submission; an error for an unknown input goes on the first one."""
    errors: dict[str, str] = {}
    for reply in replies:
        if isinstance(reply, RefuseForm):
            for name, message in reply.errors:
                key = name if name in inputs or not inputs else inputs[0]
                errors[key] = f"{errors[key]} {message}" if key in errors else message
    return errors


def _errors_as_messages(replies: list[Reply], user: str) -> list[Reply]:
    out: list[Reply] = [r for r in replies if not isinstance(r, RefuseForm)]
    for reply in replies:
        if isinstance(reply, RefuseForm):
            out.extend(Message(chat_id=user, text=(Span(message),)) for _name, message in reply.errors)
    return out
