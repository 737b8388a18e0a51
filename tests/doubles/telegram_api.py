"""An in-test Telegram Bot API server that the real python-telegram-bot client talks to over HTTP.

It speaks the wire protocol PTB uses (POST /bot<token>/<method>, form-encoded parameters whose
non-string values are JSON, answers {"ok": ..., "result" | "description"}), checks what Telegram
checks where our code could get it wrong (HTML entities, text length, callback data size), records
every call, and can be told to fail the next calls like Telegram does (429 with retry_after, 403, 5xx).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.doubles.local_server import LocalServer
from tests.doubles.rate_limit import Bucket
from tests.doubles.telegram_updates import BOT_USER, bot_message, chat_dict, user_dict

Call = tuple[str, dict[str, Any]]
_GROUP_COUNTED = {"sendMessage", "editMessageText", "createForumTopic", "closeForumTopic", "deleteMessage"}

# Parameters Telegram defines as strings: never JSON-decode them, even when they look like numbers.
_STRING_PARAMS = {"text", "caption", "callback_query_id", "secret_token", "url", "inline_message_id", "title",
                  "name"}
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """An error answer, shaped like Telegram's."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after

    def response(self) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.status)


class TelegramApiDouble:
    """Usage: `async with TelegramApiDouble() as api: Bot(token, base_url=api.base_url)`."""

    def __init__(self, *, latency: float = 0.0, group_limit: tuple[int, float] | None = None,
                 bot_limit: tuple[float, float] | None = None) -> None:
        self.latency = latency
        self.bot_limit = Bucket(*bot_limit) if bot_limit else None
        """(messages a second, burst) for the whole bot before answering 429, like Telegram's ~30 a second."""
        self.over_bot_limit = 0
        self.group_limit = group_limit
        """(messages, seconds) a group takes before answering 429, like Telegram's ~20 a minute."""
        self.group_sends: dict[Any, list[float]] = {}
        self.over_group_limit = 0
        self.calls: list[Call] = []
        self.bot_user = dict(BOT_USER)
        self.webhook: dict[str, Any] = {}
        self.blocked: set[int | str] = set()
        self._messages: dict[tuple[Any, int], dict[str, Any]] = {}
        self.topics: dict[Any, dict[int, str]] = {}
        self.closed_topics: dict[Any, set[int]] = {}
        self.bot_rights: dict[str, Any] = {"status": "administrator", "can_manage_topics": True,
                                           "can_delete_messages": True}
        """What getChatMember says of the bot in a group (the room's start-up check reads it)."""
        self.forums: set[Any] | None = None
        """Groups with topics on; None: every supergroup is a forum."""
        self.people_messages: set[tuple[Any, int]] = set()
        """(chat, message id) of messages people wrote that the bot may delete (an admin bot in a group)."""
        self.deleted: list[tuple[Any, int]] = []
        """Forum topics per chat: {message_thread_id: name}, as createForumTopic made them."""
        self._next_message_id = 1
        self._failures: dict[str, list[tuple[int, str, int | None, int | None]]] = {}
        self._outage: tuple[int, set[str], int] | None = None
        self._updates: list[dict[str, Any]] = []
        self._tick = asyncio.Event()
        self._closing = False
        self._server = LocalServer()

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> TelegramApiDouble:
        self._closing = False
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        await self._server.serve(app)
        return self

    async def stop(self) -> None:
        if self._server.running:
            self._closing = True
            self._poke()
            await self._server.close()

    async def __aenter__(self) -> TelegramApiDouble:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What `Bot(token, base_url=...)` needs; PTB appends the token."""
        return f"http://127.0.0.1:{self._server.port}/bot"

    # -- test controls ---------------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 2,
        times: int = 1,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (to `chat_id` only, if given) fail the way Telegram
        fails them."""
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else _DEFAULT_DESCRIPTIONS.get(status, "Error")
            )
        failure = (status, description, retry_after if status == 429 else None, chat_id)
        self._failures.setdefault(method.lower(), []).extend([failure] * times)

    def outage(self, status: int | None, methods: tuple[str, ...] = ("sendMessage",), retry_after: int = 1) -> None:
        """Fail every call of `methods` with `status` until called again with None (an outage of any
        length, where `fail_next` fails a counted number of calls)."""
        self._outage = (status, {m.lower() for m in methods}, retry_after) if status is not None else None

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (long polling wakes up at once)."""
        self._updates.append(update)
        self._poke()

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    def sent_to(self, chat_id: int | str) -> list[dict[str, Any]]:
        """Parameters of every sendMessage to this chat that Telegram accepted, oldest first."""
        return [m["params"] for m in self._messages.values() if str(m["chat"]["id"]) == str(chat_id)]

    async def wait_delivered(self, chat_id: int | str, predicate: Callable[[str], bool],
                             timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109 - as wait_for
        """The first message Telegram accepted for this chat whose text satisfies `predicate`, waiting for it
        if needed (`wait_for` sees attempts too, refused ones included)."""

        def found() -> dict[str, Any] | None:
            return next((p for p in self.sent_to(chat_id) if predicate(str(p["text"]))), None)

        if not await self._until(lambda: found() is not None, timeout):
            raise TimeoutError(f"nothing delivered to {chat_id} within {timeout}s; calls: {self.methods()}")
        message = found()
        assert message is not None
        return message

    async def wait_for(
        self,
        predicate: Callable[[str, dict[str, Any]], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - the tests' vocabulary; not a cancellation scope
    ) -> Call:
        """The first recorded call (method, params) satisfying `predicate`, waiting for it if needed."""

        def found() -> Call | None:
            return next((call for call in self.calls if predicate(*call)), None)

        if not await self._until(lambda: found() is not None, timeout):
            raise TimeoutError(f"no matching call within {timeout}s; calls: {self.methods()}")
        call = found()
        assert call is not None
        return call

    # -- HTTP ------------------------------------------------------------------------------------
    async def webhook_reply(self, body: bytes) -> None:
        """What Telegram does with our webhook's response body: a JSON object naming a Bot API method runs
        that method (recorded like any call; its result goes nowhere); anything else ("ok") is ignored."""
        try:
            params = json.loads(body)
        except ValueError:
            return
        if isinstance(params, dict) and isinstance(method := params.pop("method", None), str):
            await self._call(method, {key: _decode(key, value) for key, value in params.items()})

    async def _handle(self, request: web.Request) -> web.Response:
        return await self._call(request.match_info["method"], await _read_params(request))

    async def _call(self, method: str, params: dict[str, Any]) -> web.Response:
        self.calls.append((method, params))
        self._poke()
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            self._maybe_fail(method, params)
            self._check_group_limit(method, params)
            api = getattr(self, f"_api_{method.lower()}", None)
            if api is None:
                raise ApiError(404, "Not Found")
            result = await api(params)
        except ApiError as exc:
            return exc.response()
        return web.json_response({"ok": True, "result": result})

    def _poke(self) -> None:
        """Wake everything waiting in `_until` so it re-checks its condition."""
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    async def _until(self, condition: Callable[[], bool], seconds: float) -> bool:
        """Wait until `condition()` holds (True) or `seconds` pass (False)."""
        deadline = time.monotonic() + seconds
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return condition()
            try:
                await asyncio.wait_for(self._tick.wait(), remaining)
            except TimeoutError:
                pass
        return True

    def _check_group_limit(self, method: str, params: dict[str, Any]) -> None:
        if self.bot_limit is not None and method in _GROUP_COUNTED:
            wait = self.bot_limit.take()
            if wait is not None:
                self.over_bot_limit += 1
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        chat = params.get("chat_id")
        if self.group_limit is None or method not in _GROUP_COUNTED or not isinstance(chat, int) or chat > 0:
            return
        count, window = self.group_limit
        now = time.monotonic()
        recent = [t for t in self.group_sends.get(chat, []) if now - t < window]
        if len(recent) >= count:
            self.over_group_limit += 1
            wait = max(1, int(window - (now - recent[0]) + 0.999))
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        self.group_sends[chat] = [*recent, now]

    def _maybe_fail(self, method: str, params: dict[str, Any]) -> None:
        if self._outage is not None and method.lower() in self._outage[1]:
            status, _, retry_after = self._outage
            raise ApiError(status, f"Too Many Requests: retry after {retry_after}" if status == 429 else
                           _DEFAULT_DESCRIPTIONS.get(status, "Error"), retry_after if status == 429 else None)
        queue = self._failures.get(method.lower(), [])
        for index, (code, description, wait, chat) in enumerate(queue):
            if chat is None or chat == params.get("chat_id"):
                del queue[index]
                raise ApiError(code, description, wait)

    # -- Bot API methods ---------------------------------------------------------------------------
    async def _api_getme(self, params: dict[str, Any]) -> Any:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False}

    async def _api_sendmessage(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        if chat_id is None or "text" not in params:
            raise ApiError(400, "Bad Request: chat_id and text are required")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        thread = params.get("message_thread_id")
        if thread and chat_id in self.topics and int(thread) not in self.topics[chat_id]:
            raise ApiError(400, "Bad Request: message thread not found")
        message = self._message(chat_id, self._next_message_id, params)
        self._next_message_id += 1
        if thread:
            message.update(message_thread_id=thread, is_topic_message=True)
        self._messages[(chat_id, message["message_id"])] = {**message, "params": params}
        return message

    async def _api_createforumtopic(self, params: dict[str, Any]) -> Any:
        chat_id, name = params.get("chat_id"), str(params.get("name") or "")
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_TITLE_EMPTY" if not name else "Bad Request: TOPIC_TITLE_TOO_LONG")
        if not isinstance(chat_id, int) or chat_id > 0:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        thread_id = self._next_message_id  # a topic's id is the id of its first (service) message
        self._next_message_id += 1
        self.topics.setdefault(chat_id, {})[thread_id] = name
        return {"message_thread_id": thread_id, "name": name, "icon_color": 7322096}

    async def _api_getchat(self, params: dict[str, Any]) -> Any:
        chat = chat_dict(params.get("chat_id") or 0)
        if self.forums is not None:
            chat["is_forum"] = params.get("chat_id") in self.forums
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                        "premium_subscription": False, "gifts_from_channels": False}}

    async def _api_getchatmember(self, params: dict[str, Any]) -> Any:
        if params.get("user_id") != self.bot_user["id"]:
            return {"status": "member", "user": user_dict(int(params.get("user_id") or 0))}
        rights = {"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                  "can_manage_video_chats": False, "can_restrict_members": False, "can_promote_members": False,
                  "can_change_info": False, "can_invite_users": True, "can_post_stories": False,
                  "can_edit_stories": False, "can_delete_stories": False, "can_delete_messages": False,
                  "can_manage_topics": False}
        return {**rights, **self.bot_rights, "user": self.bot_user}

    async def _api_closeforumtopic(self, params: dict[str, Any]) -> Any:
        chat_id, thread = params.get("chat_id"), params.get("message_thread_id")
        if thread not in self.topics.get(chat_id, {}):
            raise ApiError(400, "Bad Request: message thread not found")
        if thread in self.closed_topics.setdefault(chat_id, set()):
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        self.closed_topics[chat_id].add(thread)
        return True

    async def _api_deletemessage(self, params: dict[str, Any]) -> Any:
        key = (params.get("chat_id"), params.get("message_id"))
        if key not in self._messages and key not in self.people_messages:
            raise ApiError(400, "Bad Request: message to delete not found")
        self._messages.pop(key, None)
        self.people_messages.discard(key)
        self.deleted.append(key)
        return True

    def in_topic(self, chat_id: int, thread_id: int | None) -> list[dict[str, Any]]:
        """What the bot posted (and Telegram accepted) in one topic of a forum (None: the General topic),
        in order."""
        return [m["params"] for m in self.topic_messages(chat_id, thread_id)]

    def topic_messages(self, chat_id: int, thread_id: int | None) -> list[dict[str, Any]]:
        """Like `in_topic`, but the messages as Telegram returned them (with their `message_id`, which a
        person's reply to one of them names), each with the `params` it was sent with."""
        posted = sorted((m for (chat, _), m in self._messages.items() if chat == chat_id),
                        key=lambda m: int(m["message_id"]))
        return [m for m in posted if m["params"].get("message_thread_id") == thread_id]

    def ids_in_topic(self, chat_id: int, thread_id: int | None) -> list[int]:
        """The message ids of `in_topic`, in the same order."""
        posted = sorted((m for (chat, _), m in self._messages.items() if chat == chat_id),
                        key=lambda m: int(m["message_id"]))
        return [int(m["message_id"]) for m in posted if m["params"].get("message_thread_id") == thread_id]

    async def _api_editmessagetext(self, params: dict[str, Any]) -> Any:
        key = (params.get("chat_id"), params.get("message_id"))
        message = self._message(key[0], int(key[1] or 0), params)
        old = self._messages.get(key)  # type: ignore[arg-type]
        if old and (old["text"], old.get("reply_markup")) == (message["text"], message.get("reply_markup")):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup",
            )
        message["edit_date"] = int(time.time())
        if old is not None:
            old.update(text=message["text"], reply_markup=message.get("reply_markup"))
        return message

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setwebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = dict(params)
        return True

    async def _api_deletewebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    async def _api_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        info = {"url": self.webhook.get("url", ""), "has_custom_certificate": False}
        return {**info, "pending_update_count": len(self._updates)}

    async def _api_getupdates(self, params: dict[str, Any]) -> Any:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        if offset > 0:  # everything before the offset is confirmed: Telegram forgets it
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = float(params.get("timeout") or 0)
        await self._until(lambda: bool(self._updates), timeout)
        return self._updates[: int(params.get("limit") or 100)]

    def _message(self, chat_id: Any, message_id: int, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return bot_message(chat_id, message_id, params)
        except ValueError as exc:
            raise ApiError(400, f"Bad Request: {exc}") from None


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Parameters from the query, a JSON body or a form (PTB sends url-encoded or multipart forms)."""
    raw: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            raw.update(await request.json())
        else:
            for key, value in (await request.post()).items():
                raw[key] = value if isinstance(value, str) else {"filename": getattr(value, "filename", "")}
    return {key: _decode(key, value) for key, value in raw.items()}


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
