"""The web chat as a surface (bots.ports.Surface): `GET /chat` (the page), `GET /chat/ws` (the WebSocket the
page talks over, JSON both ways), `POST /chat` (the same without JavaScript: a message, a button, a form
as a plain form post, answered with the page), and the outbox's sender for web people.

Identity: a signed cookie (adapters/webchat/session.py) names a session; each session is a person on
platform "web". Safety: the WebSocket opens only from this site's Origin and with the session's token;
every POST carries that token. Limits: per session and per network address (adapters/webchat/limits.py);
a new session per address is limited too, so a new cookie does not buy a new allowance. Rules that make
a cookie less than a person (Support counts only once linked) live in core (core/votes.py).

Typed messages run the guided conversations (as on Telegram); a button or a form answers with a form
where the conversation has one (`Inbound.forms`), e.g. "✍ Write opinion".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from typing import Any

from aiohttp import WSMsgType, web
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from adapters.web.rendering import PageRenderer
from adapters.webchat.entries import (
    Entry,
    entry_html,
    form_entry,
    notice_entry,
    reply_entry,
    said_bodies,
    toast_entry,
)
from adapters.webchat.limits import Allowance
from adapters.webchat.live import PLATFORM, LivePages, WebSender
from adapters.webchat.session import SECRET_NAME, SessionCookies, same_origin
from bots.i18n import Translator
from bots.neutral import (
    ButtonPress,
    Command,
    FormSubmit,
    Inbound,
    Message,
    OpenForm,
    Payload,
    RefuseForm,
    Reply,
    Text,
    Toast,
    Where,
    Who,
)
from bots.ports import InboundHandler, Route, StorageUnavailable
from core import web_messages
from core.app_secrets import kept_secret
from core.db import Sessions
from core.models import Citizen, Identity

log = logging.getLogger(__name__)

POLL_SECONDS = 30.0  # an open page looks for notices another instance stored for it this often
MESSAGE_MAX = 20_000  # bytes of one WebSocket message: more than any field the conversation accepts


def text_payload(text: str) -> Payload:
    """"/propose Night buses" → a command; anything else is text (a command without its slash too: the
    conversation reads it so in a direct chat, PRODUCT.md §3)."""
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1:
        name, _, args = stripped[1:].partition(" ")
        return Command(name.lower(), args.strip())
    return Text(text)


class WebChat:
    name = PLATFORM
    room_chat: str | None = None
    keeps_replies = False  # answers go back over the WebSocket and into the log (web_messages), not the outbox

    def __init__(self, db: Sessions, handler: InboundHandler, renderer: PageRenderer, *,
                 secret_key: str | None, public_url: str, session_limit: tuple[tuple[int, float], ...],
                 address_limit: tuple[tuple[int, float], ...],
                 new_sessions_limit: tuple[tuple[int, float], ...], poll_seconds: float = POLL_SECONDS) -> None:
        self.db, self.handler, self.renderer = db, handler, renderer
        self.public_url = public_url
        self.live = LivePages()
        self.sender = WebSender(db, self.live)
        self.per_session, self.per_address = Allowance(session_limit), Allowance(address_limit)
        self.new_sessions = Allowance(new_sessions_limit)
        self.poll_seconds = poll_seconds
        self._secret_key = secret_key
        self._cookies: SessionCookies | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._closer: asyncio.Task[None] | None = None
        self.refused = 0

    @property
    def cookies(self) -> SessionCookies:
        if self._cookies is None:
            raise RuntimeError("WebChat.prepare() was not run")
        return self._cookies

    async def prepare(self) -> None:
        """The key that signs sessions: OASIS_SECRET_KEY, else the one made on first run and kept."""
        key = self._secret_key
        if not key:
            async with self.db() as session, session.begin():
                key = await kept_secret(session, SECRET_NAME)
        self._cookies = SessionCookies(key.encode(), secure=self.public_url.startswith("https://"))

    async def room_problem(self) -> str | None:
        return None

    def routes(self) -> list[Route]:
        return [("GET", "/chat", self.page), ("POST", "/chat", self.post), ("GET", "/chat/ws", self.socket)]

    async def start(self, stop: asyncio.Event) -> None:
        """Open pages are told to go once a stop is asked for: the server's shutdown waits for its open
        connections, and a page's WebSocket would hold it for its whole timeout."""
        self._closer = asyncio.create_task(self._close_on(stop))

    async def _close_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        await self.stop()

    async def stop(self) -> None:
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"server stopping")

    def metrics(self) -> dict[str, float]:
        return {"oasis_web_chat_pages_open": float(len(self.live)),
                "oasis_web_chat_notices_pushed_total": float(self.sender.pushed),
                "oasis_web_chat_refused_total": float(self.refused)}

    # --- the page ---

    async def page(self, request: web.Request) -> web.Response:
        session_id = self.cookies.of(request)
        fresh = session_id is None
        if session_id is None:
            if wait := self.new_sessions.take(f"new:{address(request)}"):
                self.refused += 1
                t = self.renderer.translator(request)
                return self._render(request, t, None, [], status=429, wait=int(wait) + 1)
            session_id = self.cookies.new_id()
        t = self.renderer.translator(request, await self._chosen_language(session_id))
        response = self._render(request, t, session_id, await self._history(session_id))
        if fresh:
            self.cookies.set_cookie(response, session_id)
        return response

    async def post(self, request: web.Request) -> web.Response:
        """A message, a button or a form without JavaScript; answered with the page, the conversation so
        far ending with this turn."""
        session_id = self.cookies.of(request)
        data = await request.post()
        if session_id is None or not self.cookies.token_ok(session_id, str(data.get("csrf", ""))):
            self.refused += 1
            t = self.renderer.translator(request)
            return self._render(request, t, None, [], status=403, expired=True)
        t = self.renderer.translator(request, await self._chosen_language(session_id))
        fields = {k: str(v) for k, v in data.items()}
        typed: str | None = None
        if "press" in fields:
            action, _, value = fields["press"].partition(":")
            payload: Payload = ButtonPress(action, value, fields.get("message_id") or None)
        elif "form" in fields:
            payload = FormSubmit(fields["form"], {k[2:]: v for k, v in fields.items() if k.startswith("f.")},
                                 fields.get("state", ""))
        elif (typed := fields.get("text", "")).strip():
            payload = text_payload(typed)
        else:
            return self._render(request, t, session_id, await self._history(session_id))
        replies = await self._converse(request, session_id, t, payload, typed=typed, forms=False)
        beside: list[Entry] = []  # what the log does not keep: a refused form's messages, this page's notes
        for reply in replies:
            if isinstance(reply, RefuseForm):
                beside.extend(toast_entry(text) for _, text in reply.errors)
            elif isinstance(reply, Toast) and not reply.chat_id:
                beside.append(toast_entry(reply.text))
        return self._render(request, t, session_id, await self._history(session_id) + beside)

    def _render(self, request: web.Request, t: Translator, session_id: str | None, entries: list[Entry], *,
                status: int = 200, **values: Any) -> web.Response:
        csrf = self.cookies.token(session_id) if session_id else ""
        return self.renderer.render(
            "chat.html", t, request, status=status, csrf=csrf,
            visitor=self.display_name(session_id) if session_id else "",
            entries=[entry_html(self.renderer, t, e, csrf) for e in entries], **values)

    # --- the WebSocket ---

    async def socket(self, request: web.Request) -> web.StreamResponse:
        """Opens only from this site (Origin) and for a session with its token, so another site's page
        cannot talk as the visitor (a browser sends the visitor's cookie with any site's WebSocket)."""
        session_id = self.cookies.of(request)
        if not same_origin(request, self.public_url) or session_id is None \
                or not self.cookies.token_ok(session_id, request.query.get("csrf")):
            self.refused += 1
            raise web.HTTPForbidden(text="forbidden")
        t = self.renderer.translator(request, await self._chosen_language(session_id))
        csrf = self.cookies.token(session_id)
        ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=MESSAGE_MAX)
        await ws.prepare(request)
        self._sockets.add(ws)

        async def push(entry: Entry) -> None:
            if "errors" in entry:
                await ws.send_json({"type": "refuse", "errors": entry["errors"]})
            else:
                await ws.send_json({"type": "entry", "id": entry["id"],
                                    "html": entry_html(self.renderer, t, entry, csrf)})

        key = id(ws)
        self.live.add(session_id, key, push)
        try:
            await self._push_unread(session_id, push)
            while not ws.closed:
                try:
                    msg = await ws.receive(timeout=self.poll_seconds)
                except TimeoutError:
                    await self._push_unread(session_id, push)
                    continue
                if msg.type != WSMsgType.TEXT:
                    break
                payload, forms = parse_message(msg.data)
                if payload is None:
                    continue
                typed = msg_text(payload)
                for reply in await self._converse(request, session_id, t, payload, typed=typed, forms=forms):
                    if (entry := to_entry(reply)) is not None:
                        await push(entry)
                await ws.send_json({"type": "done"})  # everything this message caused was sent
        finally:
            self.live.remove(session_id, key)
            self._sockets.discard(ws)
        return ws

    # --- the conversation ---

    async def _converse(self, request: web.Request, session_id: str, t: Translator, payload: Payload, *,
                        typed: str | None, forms: bool) -> list[Reply]:
        """Hand one event to the conversation (within the limits); the turn is kept in the person's log.
        What only this page is told (over a limit, the database away) comes as replies to no chat ("")."""
        wait = max(self.per_session.take(f"s:{session_id}"), self.per_address.take(f"a:{address(request)}"))
        if wait:
            self.refused += 1
            return [Toast("", t.tr_plain("You are sending faster than Oasis accepts from one visitor. Please "
                                         "wait {n} seconds and try again.", n=int(wait) + 1))]
        who = Who(PLATFORM, session_id, self.display_name(session_id), t.lang)
        inbound = Inbound(PLATFORM, f"{session_id}:{secrets.token_hex(8)}", who, Where(session_id, direct=True),
                          payload, forms=forms)
        try:
            replies = await self.handler(inbound) or []
            async with self.db() as session, session.begin():
                await web_messages.keep_said(session, session_id, said_bodies(typed, replies))
        except StorageUnavailable:
            return [Toast("", t.tr_plain("Oasis cannot reach its database just now. Please try again in a "
                                         "moment."))]
        except Exception as error:  # the answers were given; only the log misses them
            if not isinstance(error, OSError | SQLAlchemyError):
                raise
            log.warning("web chat: a turn of %s not kept in its log: %r", self.display_name(session_id), error)
        return replies

    def display_name(self, session_id: str) -> str:
        """How a web visitor appears to others until they link a messenger: "web-" and a short code."""
        return f"web-{self.cookies.short_code(session_id)}"

    async def reader_language(self, request: web.Request) -> str | None:
        """The /lang choice of the web chat person reading any page, if the request carries their session
        (the public pages then speak it too: PageRenderer.reader)."""
        session_id = self.cookies.of(request)
        return await self._chosen_language(session_id) if session_id is not None else None

    async def _chosen_language(self, session_id: str) -> str | None:
        """The person's own /lang choice, if they made one (their page then speaks it)."""
        async with self.db() as session:
            return await session.scalar(select(Citizen.language).join(Identity, Identity.citizen_id == Citizen.id)
                                        .where(Identity.platform == PLATFORM, Identity.user_id == session_id))

    async def _history(self, session_id: str) -> list[Entry]:
        """The conversation so far (its newest part), notices that came meanwhile included, now read."""
        async with self.db() as session, session.begin():
            rows = await web_messages.recent(session, session_id)
            if rows:
                await web_messages.mark_read(session, session_id, rows[-1].id)
            return [notice_entry(row.id, row.body) for row in rows]

    async def _unread(self, session_id: str) -> list[Entry]:
        """Notices that came while no page was open, now marked read (this page shows them)."""
        async with self.db() as session, session.begin():
            rows = await web_messages.unread(session, session_id)
            if rows:
                await web_messages.mark_read(session, session_id, rows[-1].id)
            return [notice_entry(row.id, row.body) for row in rows]

    async def _push_unread(self, session_id: str, push: Any) -> None:
        try:
            entries = await self._unread(session_id)
        except Exception as error:  # the database is away: the next look finds them
            log.warning("web chat inbox unavailable: %r", error)
            return
        for entry in entries:
            await push(entry)


def to_entry(reply: Reply) -> Entry | None:
    match reply:
        case Message():
            return reply_entry(reply)
        case Toast():
            return toast_entry(reply.text) if reply.text else None
        case OpenForm():
            return form_entry(reply.form)
        case RefuseForm():
            return {"errors": [list(pair) for pair in reply.errors]}


def msg_text(payload: Payload) -> str | None:
    """What the person typed, as they typed it (for the log)."""
    if isinstance(payload, Text):
        return payload.text
    if isinstance(payload, Command):
        return f"/{payload.name} {payload.args}".rstrip()
    return None


def parse_message(raw: str) -> tuple[Payload | None, bool]:
    """A page's JSON message → the event's payload, and whether a form may answer it (buttons and forms:
    yes; typed text runs the guided conversation). Anything malformed is ignored."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None, False
    if not isinstance(data, dict):
        return None, False
    kind = data.get("type")
    if kind == "text" and isinstance(data.get("text"), str) and data["text"].strip():
        return text_payload(data["text"]), False
    if kind == "press" and isinstance(data.get("action"), str):
        message_id = data.get("message_id")
        return ButtonPress(data["action"], str(data.get("value", "")),
                           str(message_id) if isinstance(message_id, str) and message_id else None), True
    if kind == "form" and isinstance(data.get("form"), str) and isinstance(data.get("fields"), dict):
        fields = {str(k): str(v) for k, v in data["fields"].items() if isinstance(v, str)}
        return FormSubmit(data["form"], fields, str(data.get("state", ""))), True
    return None, False


def address(request: web.Request) -> str:
    """The network address a request came from (the proxy's, behind one that does not forward it)."""
    return request.remote or "unknown"
