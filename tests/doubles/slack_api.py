"""An in-test Slack Web API that the real slack_sdk / slack-bolt clients talk to over HTTP.

It speaks the wire protocol (POST or GET /api/<method>, a bearer token, JSON or form bodies whose
`blocks`/`view` are JSON strings, answers {"ok": ..., ...}), checks what Slack checks where our code
could get it wrong (Block Kit limits, unique action ids, modal title length, single-use trigger ids,
posting only where the bot may), records every call, and fails the next calls on request like Slack
does (429 with a Retry-After header, an error code, a 5xx).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.doubles.local_server import LocalServer
from tests.doubles.rate_limit import Bucket
from tests.doubles.slack_wire import (
    ApiError,
    Refused,
    check_home,
    check_message_blocks,
    check_modal,
    message_text,
    read_params,
)

Call = tuple[str, dict[str, Any]]
TOKEN = "xoxb-test-token"
TEAM_ID, BOT_USER_ID, BOT_ID = "T0TEST", "UBOT", "BBOT"
ADMIN_TOKEN = "xoxp-admin-test-token"


class SlackApiDouble:
    """Usage: `async with SlackApiDouble() as api: AsyncWebClient(token, base_url=api.base_url)`."""

    def __init__(self, *, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.missing_users: set[str] = set()
        self.channels: set[str] = set()  # public/private channels the bot is a member of
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, ts) → current message
        self.ephemeral: list[dict[str, Any]] = []
        self.views: list[dict[str, Any]] = []
        self.home: dict[str, dict[str, Any]] = {}
        self.refused: list[tuple[str, str]] = []  # calls Slack would have refused, and why
        self.scopes = {"commands", "chat:write", "im:history", "im:read", "im:write", "users:read",
                       "channels:history", "groups:history"}
        """The bot token's scopes, sent in every answer's X-OAuth-Scopes header as Slack does."""
        self.admin_token: str | None = None
        """A workspace admin's user token, if the test grants one: only it may delete people's messages."""
        self.deleted_by_admin: list[tuple[str, str]] = []
        self.held: list[dict[str, Any]] = []
        """Calls waiting at a `hold` gate, in arrival order."""
        self.limits: dict[str, tuple[float, float]] = {}
        """method → (calls a second, burst) before Slack answers 429; chat.postMessage's is per channel."""
        self.over_limit: Counter[str] = Counter()
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._bot_posts: set[tuple[str, str]] = set()  # every message the bot ever posted, deleted or not
        self._caller = "bot"
        self._failures: dict[str, list[ApiError]] = {}
        self._held: dict[str, asyncio.Future[bool]] = {}
        self._slow: dict[str, list[float]] = {}
        self._used_triggers: set[str] = set()
        self._ts = itertools.count(1)
        self._tick = asyncio.Event()
        self._server = LocalServer()

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> SlackApiDouble:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        await self._server.serve(app)
        return self

    async def stop(self) -> None:
        await self._server.close()

    async def __aenter__(self) -> SlackApiDouble:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What `AsyncWebClient(base_url=...)` and SLACK_API_URL need: ends in "/api/" like Slack's."""
        return f"http://127.0.0.1:{self._server.port}/api/"

    # -- test controls ---------------------------------------------------------------------------
    def add_user(self, user_id: str, name: str = "", locale: str = "en-US") -> None:
        self.users[user_id] = {"id": user_id, "name": name or user_id.lower(), "locale": locale}

    def add_channel(self, channel_id: str) -> None:
        """A channel the bot was invited to."""
        self.channels.add(channel_id)

    def fail_next(self, method: str, status: int = 429, retry_after: int = 1, times: int = 1,
                  error: str | None = None) -> None:
        """Make the next `times` calls of `method` fail as Slack fails them."""
        code = error or ("ratelimited" if status == 429 else "internal_error")
        failure = ApiError(code, status, retry_after if status == 429 else None)
        self._failures.setdefault(method, []).extend([failure] * times)

    def hold(self, method: str) -> None:
        """From now on, calls of `method` are received (recorded in `calls`) but wait unanswered until
        `release`: a Slack slow to answer, so a send is still in flight when the test acts."""
        self._held[method] = asyncio.get_running_loop().create_future()

    def slow_next(self, method: str, seconds: float) -> None:
        """The next call of `method` is answered `seconds` late (recorded at once); later ones are not: a
        Slack slow for one request, so that a later one could overtake it."""
        self._slow.setdefault(method, []).append(seconds)

    def release(self, method: str, *, lost: bool = False) -> None:
        """The held calls of `method` go through; or, `lost`, they end without effect, as requests that
        never reached Slack (their sender died while they were on the way). Later calls are not held."""
        gate = self._held.pop(method, None)
        if gate is not None and not gate.done():
            gate.set_result(not lost)

    @staticmethod
    def dm_of(user_id: str) -> str:
        """The DM channel id conversations.open gives for this user."""
        return "D" + user_id

    def posted(self, channel: str) -> list[dict[str, Any]]:
        """Messages currently in `channel` (after any chat.update), oldest first."""
        return [m for (c, _), m in sorted(self.messages.items(), key=lambda kv: kv[1]["ts"]) if c == channel]

    def in_thread(self, channel: str, thread_ts: str | None) -> list[dict[str, Any]]:
        """The bot's posts in one thread of a channel (None: the top level), in order."""
        return [m for m in self.posted(channel) if m.get("thread_ts") == thread_ts]

    def texts(self, channel: str) -> list[str]:
        return [message_text(m) for m in self.posted(channel)]

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    async def wait_for(self, predicate: Callable[[str, dict[str, Any]], bool],
                       timeout: float = 15.0) -> Call:  # noqa: ASYNC109 - the tests' vocabulary
        """The first recorded call (method, params) satisfying `predicate`, waiting for it if needed."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((call for call in self.calls if predicate(*call)), None)
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching call within {timeout}s; calls: {self.methods()}")
            try:
                await asyncio.wait_for(self._tick.wait(), remaining)
            except TimeoutError:
                pass

    # -- HTTP ------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await read_params(request)
        self.calls.append((method, params))
        self._poke()  # a test may wait for the call to arrive, before it is answered (held, slow)
        gate = self._held.get(method)
        if gate is not None:
            self.held.append(params)
            if not await asyncio.shield(gate):  # shielded: a cancelled request must not cancel the gate
                return web.Response(status=504)  # lost on the way: Slack never saw it
        if self._slow.get(method):
            await asyncio.sleep(self._slow[method].pop(0))
        try:
            authorization = request.headers.get("Authorization")
            if authorization == f"Bearer {self.token}":
                self._caller = "bot"
            elif self.admin_token is not None and authorization == f"Bearer {self.admin_token}":
                self._caller = "admin"
            else:
                raise ApiError("invalid_auth")
            queue = self._failures.get(method)
            if queue:
                raise queue.pop(0)
            self._check_limit(method, params)
            api = getattr(self, "_api_" + method.replace(".", "_"), None)
            if api is None:
                raise ApiError("unknown_method", 404)
            result = {"ok": True, **api(params)}
        except ApiError as exc:
            return exc.response()
        except Refused as exc:
            self.refused.append((method, str(exc)))
            return ApiError(exc.error).response()
        finally:
            self._poke()
        return web.json_response(result, headers={"X-OAuth-Scopes": ",".join(sorted(self.scopes))})

    def _check_limit(self, method: str, params: dict[str, Any]) -> None:
        if method not in self.limits:
            return
        key = (method, str(params.get("channel", "")) if method == "chat.postMessage" else "")
        bucket = self._buckets.setdefault(key, Bucket(*self.limits[method]))
        wait = bucket.take()
        if wait is not None:
            self.over_limit[method] += 1
            raise ApiError("ratelimited", 429, wait)

    def _poke(self) -> None:
        """Wake everything waiting in `wait_for` so it looks at the calls again."""
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _user(self, user_id: str) -> dict[str, Any]:
        if not user_id or user_id in self.missing_users or not user_id.startswith(("U", "W")):
            raise ApiError("user_not_found")
        if user_id not in self.users:
            self.add_user(user_id)
        return self.users[user_id]

    def _writable(self, channel: str) -> str:
        if not channel:
            raise ApiError("channel_not_found")
        if channel.startswith("D") and channel[1:] in self.users:
            return channel
        if channel not in self.channels:
            raise ApiError("not_in_channel" if channel.startswith("C") else "channel_not_found")
        return channel

    # -- Web API methods ---------------------------------------------------------------------------
    def _api_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://oasis-test.slack.com/", "team": "Oasis Test", "user": "oasis",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _api_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._user(str(params.get("user", "")))
        info = {"id": user["id"], "team_id": TEAM_ID, "name": user["name"], "real_name": user["name"].title(),
                "is_bot": False, "profile": {"display_name": user["name"], "real_name": user["name"].title()}}
        if str(params.get("include_locale", "")).lower() in ("true", "1"):
            info["locale"] = user["locale"]
        return {"user": info}

    def _api_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = str(params.get("users", "")).split(",")
        if len(users) != 1:
            raise ApiError("not_implemented")
        self._user(users[0])
        return {"channel": {"id": self.dm_of(users[0])}}

    def _api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._writable(str(params.get("channel", "")))
        check_message_blocks(params)
        ts = self._next_ts()
        message = {"ts": ts, "channel": channel, "text": params.get("text", ""), "blocks": params.get("blocks") or [],
                   "thread_ts": params.get("thread_ts"), "params": params}
        self.messages[(channel, ts)] = message
        self._bot_posts.add((channel, ts))
        return {"channel": channel, "ts": ts, "message": {"text": message["text"], "ts": ts}}

    def _api_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._writable(str(params.get("channel", "")))
        self._user(str(params.get("user", "")))
        check_message_blocks(params)
        self.ephemeral.append({"channel": channel, "user": params["user"], "text": params.get("text", ""),
                               "blocks": params.get("blocks") or []})
        return {"message_ts": self._next_ts()}

    def _api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (str(params.get("channel", "")), str(params.get("ts", "")))
        if key not in self.messages:
            raise ApiError("message_not_found")
        check_message_blocks(params)
        self.messages[key].update(text=params.get("text", ""), blocks=params.get("blocks") or [], edited=True)
        return {"channel": key[0], "ts": key[1], "text": params.get("text", "")}

    def _api_chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        """The bot deletes its own posts; a person's message only an admin's user token may delete."""
        key = (str(params.get("channel", "")), str(params.get("ts", "")))
        if key in self._bot_posts and key not in self.messages:
            raise ApiError("message_not_found")
        if key not in self.messages:
            if self._caller != "admin":
                raise ApiError("cant_delete_message")
            self.deleted_by_admin.append(key)
            return {"channel": key[0], "ts": key[1]}
        del self.messages[key]
        return {"channel": key[0], "ts": key[1]}

    def _api_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        trigger = str(params.get("trigger_id", ""))
        if not trigger:
            raise ApiError("invalid_trigger_id")
        if trigger in self._used_triggers:
            raise ApiError("exchanged_trigger_id")
        self._used_triggers.add(trigger)
        view = params.get("view")
        check_modal(view)
        assert isinstance(view, dict)
        opened = {**view, "id": f"V{len(self.views) + 1:04d}", "hash": f"{time.time():.6f}",
                  "state": {"values": {}}, "trigger_id": trigger}
        self.views.append(opened)
        return {"view": opened}

    def _api_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._user(str(params.get("user_id", "")))
        view = params.get("view")
        check_home(view)
        assert isinstance(view, dict)
        self.home[user["id"]] = view
        return {"view": {**view, "id": "VHOME" + user["id"]}}
