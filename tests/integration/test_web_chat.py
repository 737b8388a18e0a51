"""The web chat (`/chat`) through aiohttp's test client and real WebSockets, on both databases: a whole
guided /propose, buttons and forms, the signed session and its secret, the Origin and token checks, /link
with a Telegram person, Support only from a linked person, notices live and on the next visit, the
limits, and everything a person typed escaped."""

from __future__ import annotations

import asyncio
import html as htmllib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select, update

from adapters.web.pages import PublicPages
from adapters.web.rendering import PageConfig, PageRenderer
from adapters.webchat.live import LivePages, WebSender
from adapters.webchat.session import COOKIE
from adapters.webchat.surface import WebChat, parse_message
from bots.app import OasisApp
from bots.context import BotConfig
from bots.conversation import Conversation
from bots.neutral import ButtonPress, Command, Inbound, Message, Reply, Span, Toast, Where, Who, plain_text
from bots.settings import Settings
from core import calls
from core.citizens import grant_role
from core.clock import utcnow
from core.db import Sessions
from core.migrate import upgrade
from core.models import AppSecret, Identity, Proposal, Vote, WebMessage
from core.rules import Rules
from scheduler.dispatch import OutboxDispatcher
from scheduler.jobs import prune_inbox
from tests.dbutil import sqlite_url
from tests.integration import factories as f

URL = "http://oasis.test"
TITLE = '<script>alert("t")</script> Night buses'
LIMITS = {"session_limit": ((100, 60.0),), "address_limit": ((1000, 60.0),), "new_sessions_limit": ((100, 3600.0),)}


@dataclass
class World:
    client: TestClient[Any, Any]
    chat: WebChat
    conversation: Conversation
    dispatcher: OutboxDispatcher
    sessions: Sessions

    @property
    def own_origin(self) -> str:
        return f"http://{self.client.host}:{self.client.port}"


def web_chat(sessions: Sessions, conversation: Conversation, *, secret_key: str | None = None,
             public_url: str = URL, **limits: Any) -> WebChat:
    renderer = PageRenderer(PageConfig(public_url, "en", 1, "Asia/Seoul", bot_username=lambda: None))
    chat = WebChat(sessions, conversation, renderer, secret_key=secret_key, public_url=public_url,
                   **{**LIMITS, **limits})
    renderer.chosen_language = chat.reader_language  # as the composition root wires it (bots/app.py)
    return chat


async def serve(chat: WebChat) -> TestClient[Any, Any]:
    """The chat's routes, and the proposal pages (where a web person's comment is read by everyone)."""
    await chat.prepare()
    app = web.Application()
    for method, path, handler in chat.routes() + PublicPages(chat.db, chat.renderer).routes():
        app.router.add_route(method, path, handler)
    return TestClient(TestServer(app))


@pytest.fixture
async def world(sessions: Sessions) -> AsyncIterator[World]:
    conversation = Conversation(sessions, BotConfig(Rules(vote_threshold=1), URL, "en"))
    chat = web_chat(sessions, conversation)
    dispatcher = OutboxDispatcher(sessions, {"web": chat.sender}, default_language="en", public_url=URL)
    async with await serve(chat) as client:
        yield World(client, chat, conversation, dispatcher, sessions)
    await dispatcher.close()


class Visitor:
    """One browser: its cookie jar (the test client's), its page's token, its WebSocket."""

    def __init__(self, world: World) -> None:
        self.world, self.csrf, self.ws = world, "", None
        self.ids: list[str] = []

    async def open(self, path: str = "/chat") -> str:
        response = await self.world.client.get(path)
        assert response.status == 200
        page = await response.text()
        self.csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        return page

    async def connect(self) -> None:
        self.ws = await self.world.client.ws_connect(f"/chat/ws?csrf={self.csrf}",
                                                     headers={"Origin": self.world.own_origin})

    async def send(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """Send one message; everything the server answered to it (until its "done")."""
        assert self.ws is not None
        await self.ws.send_json(message)
        return await self.until_done()

    async def until_done(self) -> list[dict[str, Any]]:
        assert self.ws is not None
        got = []
        while True:
            message = await self.ws.receive_json(timeout=20)
            if message["type"] == "done":
                return got
            got.append(message)

    async def say(self, text: str) -> list[dict[str, Any]]:
        return await self.send({"type": "text", "text": text})

    async def press(self, answers: list[dict[str, Any]], label: str) -> list[dict[str, Any]]:
        """Press the button labelled `label` among these answers."""
        for answer in answers:
            for value, shown in re.findall(r'name="press" value="([^"]*)">([^<]*)</button>', answer.get("html", "")):
                if htmllib.unescape(shown) == label:
                    action, _, pressed = htmllib.unescape(value).partition(":")
                    return await self.send({"type": "press", "action": action, "value": pressed,
                                            "message_id": answer["id"]})
        raise AssertionError(f"no button {label!r} in {answers}")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None


def texts(answers: list[dict[str, Any]]) -> str:
    """What the answers say, as a reader sees it (tags dropped, entities read)."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", a.get("html", ""))) for a in answers)


def session_of(world: World) -> str:
    cookie = world.client.session.cookie_jar.filter_cookies(world.client.make_url("/"))[COOKIE].value
    return str(cookie.split(".")[0])


async def test_a_whole_guided_proposal_over_the_websocket_escaped_to_proposal_received(world: World) -> None:
    async with world.sessions() as s, s.begin():
        await calls.create(s, None, department="transport", title="Cooler <b>bus</b> stops", description="Shade.",
                           opens_at=utcnow() - timedelta(days=1), closes_at=utcnow() + timedelta(days=9))
    visitor = Visitor(world)
    page = await visitor.open()
    assert '<html lang="en">' in page and 'role="log"' in page and 'aria-live="polite"' in page
    assert '<label for="text">' in page and "<noscript>" in page
    await visitor.connect()
    answers = await visitor.say("propose")  # a command without its slash, as in any direct chat
    assert "First, its title" in texts(answers)
    assert "Now describe" in texts(await visitor.say(TITLE))
    answers = await visitor.say("Buses every 20 minutes after midnight <i>please</i>.")
    assert "Which field is it about?" in texts(answers) and "<button" in answers[0]["html"]
    answers = await visitor.press(answers, "Transport")
    assert "open themed calls" in texts(answers)
    assert "Cooler &lt;b&gt;bus&lt;/b&gt; stops" in answers[-1]["html"]  # a call's title is escaped too
    answers = await visitor.press(answers, "No themed call")
    preview = answers[-1]["html"]
    assert "Please check your proposal" in texts(answers)
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt; Night buses" in preview and "<script>" not in preview
    assert "&lt;i&gt;please&lt;/i&gt;" in preview
    answers = await visitor.press(answers, "✅ Submit")
    said = texts(answers)
    found = re.search(r"Proposal #(\d+) received", said)
    assert found, said
    async with world.sessions() as s:
        proposal = await s.get(Proposal, int(found.group(1)))
        assert proposal is not None and proposal.title == TITLE
        author = await s.scalar(select(Identity).where(Identity.citizen_id == proposal.author_id))
    assert author is not None and author.platform == "web" and author.user_id == session_of(world)
    assert author.display_name.startswith("web-") and author.user_id not in author.display_name
    await visitor.close()


async def test_slash_commands_buttons_and_forms_come_as_html(world: World) -> None:
    visitor = Visitor(world)
    await visitor.open()
    await visitor.connect()
    answers = await visitor.say("/lang")
    assert "<button" in answers[0]["html"]
    answers = await visitor.press(answers, "한국어")
    assert "한국어" in texts(answers) or "언어" in texts(answers)
    assert '<html lang="ko">' in await visitor.open()  # the person's /lang choice is the page's language
    assert '<html lang="en">' in await visitor.open("/chat?lang=en")  # ?lang= still comes first
    pid = await f.proposal(world.chat.db, await f.citizen(world.chat.db, "author"))

    async def public_page(query: str = "") -> str:
        response = await world.client.get(f"/p/{pid}{query}")
        assert response.status == 200
        return await response.text()

    assert '<html lang="ko">' in await public_page()  # and of every public page they read
    assert '<html lang="en">' in await public_page("?lang=en")
    world.client.session.cookie_jar.clear()  # someone else, with an English browser
    assert '<html lang="en">' in await public_page()
    await visitor.close()


async def test_a_form_opens_from_a_button_and_a_refused_field_comes_back(world: World) -> None:
    staff = Visitor(world)
    await staff.open()
    await staff.connect()
    await staff.say("help")  # the person exists now
    await f.under_review(world.sessions, await f.citizen(world.sessions, "author"))
    async with world.sessions() as s, s.begin():
        await grant_role(s, "web", session_of(world), "official", "transport")
    answers = await staff.say("/queue")
    answers = await staff.press(answers, "✍ Write opinion")
    form = answers[-1]["html"]
    assert '<form method="post" action="/chat" class="form" data-form=' in form and "<label for=" in form
    name = re.search(r'data-form="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    state = re.search(r'name="state" value="([^"]*)"', form).group(1)  # type: ignore[union-attr]
    answers = await staff.send({"type": "form", "form": name, "state": htmllib.unescape(state),
                                "fields": {"recommendation": "reject", "explanation": ""}})
    assert answers and answers[0]["type"] == "refuse" and answers[0]["errors"]
    await staff.close()


async def test_a_comment_with_markup_is_escaped_in_the_chat_and_on_the_proposals_page(world: World) -> None:
    pid = await f.proposal(world.sessions, await f.citizen(world.sessions, "author"), title=TITLE)
    visitor = Visitor(world)
    await visitor.open()
    comment = '<script>alert("c")</script> <b>more</b> buses'
    page = await (await world.client.post("/chat", data={"text": f"/comment {pid} {comment}",
                                                           "csrf": visitor.csrf})).text()
    assert f"Your comment on #{pid} was added" in page
    assert "&lt;script&gt;alert(&#34;c&#34;)&lt;/script&gt;" in page and '<script>alert("c")' not in page
    await visitor.connect()
    answers = await visitor.say(f"show {pid}")
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt; Night buses" in answers[0]["html"]
    assert "<script>alert" not in answers[0]["html"]
    await visitor.close()
    public = await (await world.client.get(f"/p/{pid}")).text()
    assert "&lt;script&gt;alert(&#34;c&#34;)&lt;/script&gt; &lt;b&gt;more&lt;/b&gt; buses" in public
    assert '<script>alert("c")' not in public and "web-" in public and session_of(world) not in public


async def test_the_websocket_opens_only_from_this_site_with_the_sessions_token(world: World) -> None:
    visitor = Visitor(world)
    await visitor.open()
    for origin in ("https://evil.example", "null"):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await world.client.ws_connect(f"/chat/ws?csrf={visitor.csrf}", headers={"Origin": origin})
        assert refused.value.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as no_token:
        await world.client.ws_connect("/chat/ws?csrf=forged", headers={"Origin": world.own_origin})
    assert no_token.value.status == 403
    ws = await world.client.ws_connect(f"/chat/ws?csrf={visitor.csrf}", headers={"Origin": URL})  # the public one
    await ws.close()


async def test_a_post_needs_the_sessions_token_and_works_without_javascript(world: World) -> None:
    visitor = Visitor(world)
    await visitor.open()
    refused = await world.client.post("/chat", data={"text": "help", "csrf": "forged"})
    assert refused.status == 403 and "nothing was sent" in await refused.text()
    missing = await world.client.post("/chat", data={"text": "help"})
    assert missing.status == 403
    answered = await world.client.post("/chat", data={"text": "propose", "csrf": visitor.csrf})
    page = await answered.text()
    assert answered.status == 200 and "First, its title" in page
    page = await (await world.client.post("/chat", data={"text": TITLE, "csrf": visitor.csrf})).text()
    assert "&lt;script&gt;alert" in page and '<script>alert' not in page
    assert "Now describe" in page


async def test_a_forged_or_foreign_cookie_gets_a_new_session(world: World) -> None:
    visitor = Visitor(world)
    await visitor.open()
    first = session_of(world)
    await visitor.open()
    assert session_of(world) == first  # the signed cookie is kept
    forged = f"{first[:-1]}x.{'A' * 43}"
    world.client.session.cookie_jar.clear()
    world.client.session.cookie_jar.update_cookies({COOKIE: forged}, world.client.make_url("/"))
    response = await world.client.get("/chat")
    assert response.status == 200 and COOKIE in response.cookies
    assert response.cookies[COOKIE]["httponly"] and response.cookies[COOKIE]["samesite"] == "Lax"
    assert not response.cookies[COOKIE]["secure"]  # the public URL is http here
    assert session_of(world) not in (first, forged.split(".")[0])
    assert world.chat.cookies.verified(response.cookies[COOKIE].value) == session_of(world)


async def test_the_secret_is_made_once_kept_across_restarts_and_the_environments_wins(sessions: Sessions) -> None:
    conversation = Conversation(sessions, BotConfig(Rules(), URL, "en"))
    first = web_chat(sessions, conversation)
    await first.prepare()
    cookie = first.cookies.cookie_value(first.cookies.new_id())
    again = web_chat(sessions, conversation)  # a restart
    await again.prepare()
    assert again.cookies.verified(cookie) is not None
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(AppSecret)) == 1
    configured = web_chat(sessions, conversation, secret_key="from the environment")
    await configured.prepare()
    assert configured.cookies.verified(cookie) is None
    secure = web_chat(sessions, conversation, public_url="https://oasis.example")
    await secure.prepare()
    assert secure.cookies.secure


def telegram(user: str, payload: Command | ButtonPress, event: str) -> Inbound:
    who = Who("telegram", user, f"TG {user}", "en")
    return Inbound("telegram", event, who, Where(user), payload)


def said(replies: list[Reply] | None) -> str:
    return " ".join(r.text if isinstance(r, Toast) else plain_text(r.text)
                    for r in replies or [] if isinstance(r, Toast | Message))


async def test_support_counts_only_once_the_web_person_linked_a_messenger(world: World) -> None:
    pid = await f.proposal(world.sessions, await f.citizen(world.sessions, "author"))
    visitor = Visitor(world)
    await visitor.open()
    await visitor.connect()
    answers = await visitor.send({"type": "press", "action": "proposal.vote", "value": str(pid)})
    assert "Support counts only from people with a messenger account" in texts(answers)
    answers = await visitor.say(f"/vote {pid}")
    assert "/link" in texts(answers)
    assert await f.vote_count(world.sessions, pid) == 0
    # The web person asks for a code; their Telegram account redeems it.
    code = re.search(r"Your link code:\s*([A-Z0-9]+)", texts(await visitor.say("link"))).group(1)  # type: ignore[union-attr]
    linked = await world.conversation(telegram("5151", Command("link", code), "tg-1"))
    assert "now linked" in said(linked)
    answers = await visitor.send({"type": "press", "action": "proposal.vote", "value": str(pid)})
    assert "You support" in texts(answers) or "sent #" in texts(answers) or "review" in texts(answers)
    assert await f.vote_count(world.sessions, pid) == 1
    await visitor.close()


async def test_link_the_other_way_a_telegram_code_redeemed_on_the_web(world: World) -> None:
    pid = await f.proposal(world.sessions, await f.citizen(world.sessions, "author"))
    issued = await world.conversation(telegram("6161", Command("link", ""), "tg-2"))
    code = re.search(r"Your link code: ([A-Z0-9]+)", said(issued)).group(1)  # type: ignore[union-attr]
    visitor = Visitor(world)
    await visitor.open()
    await visitor.connect()
    assert "now linked" in texts(await visitor.say(f"link {code}"))
    async with world.sessions() as s:
        owners = set((await s.scalars(select(Identity.citizen_id).where(
            Identity.user_id.in_(["6161", session_of(world)])))).all())
    assert len(owners) == 1  # one citizen, two accounts
    answers = await visitor.send({"type": "press", "action": "proposal.vote", "value": str(pid)})
    assert await f.vote_count(world.sessions, pid) == 1, texts(answers)
    await visitor.close()


async def test_a_notice_reaches_the_open_page_live_and_a_closed_ones_person_on_the_next_visit(world: World) -> None:
    visitor = Visitor(world)
    await visitor.open()
    await visitor.connect()
    first = await f.proposal(world.sessions, await f.citizen(world.sessions, "author"))
    second = await f.proposal(world.sessions, await f.citizen(world.sessions, "author 2"), title="Shade <b>trees</b>")
    for pid in (first, second):
        await visitor.send({"type": "press", "action": "proposal.follow", "value": str(pid)})
    # A Telegram person's Support sends the first to review (threshold 1): its followers are told.
    await world.conversation(telegram("7171", ButtonPress("proposal.vote", str(first)), "tg-3"))
    assert await world.dispatcher.run_once() >= 1
    live = await visitor.ws.receive_json(timeout=10)  # type: ignore[union-attr]
    assert live["type"] == "entry" and f"#{first}" in live["html"] and "under review" in texts([live])
    async with world.sessions() as s:
        assert await s.scalar(select(func.count()).where(WebMessage.read_at.is_(None))) == 0
    await visitor.close()
    await world.conversation(telegram("7171", ButtonPress("proposal.vote", str(second)), "tg-4"))
    assert await world.dispatcher.run_once() >= 1
    async with world.sessions() as s:
        assert await s.scalar(select(func.count()).where(WebMessage.read_at.is_(None))) == 1
    page = await visitor.open()  # the next visit shows what came meanwhile
    assert f"#{second}" in page and "Shade &lt;b&gt;trees&lt;/b&gt;" in page and "News" in page
    async with world.sessions() as s:
        assert await s.scalar(select(func.count()).where(WebMessage.read_at.is_(None))) == 0  # shown: read
    await visitor.connect()
    answers = await visitor.say("help")  # the page opened after the visit is not sent the notice again
    assert answers and not any("entry notice" in a["html"] for a in answers)
    await visitor.close()


async def test_a_reload_shows_the_conversation_so_far_and_old_messages_are_pruned(world: World) -> None:
    visitor = Visitor(world)
    await visitor.open()
    await visitor.connect()
    await visitor.say("propose")
    await visitor.say(TITLE)
    await visitor.close()
    page = await visitor.open()
    log = page[page.index('id="log"'):page.index('id="state"')]
    assert log.index("propose") < log.index("First, its title") < log.index("&lt;script&gt;alert") \
        < log.index("Now describe")
    assert "<script>alert" not in log
    async with world.sessions() as s, s.begin():
        await s.execute(update(WebMessage).where(WebMessage.id == select(func.min(WebMessage.id)).scalar_subquery())
                        .values(created_at=utcnow() - timedelta(days=31)))
    assert await prune_inbox(world.sessions, keep_days=30) == 1
    async with world.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(WebMessage)) == 3


async def test_limits_per_session_and_per_address_and_new_sessions_per_address(sessions: Sessions) -> None:
    conversation = Conversation(sessions, BotConfig(Rules(), URL, "en"))
    chat = web_chat(sessions, conversation, session_limit=((3, 60.0),), address_limit=((5, 60.0),),
                    new_sessions_limit=((2, 3600.0),))
    async with await serve(chat) as client:
        world = World(client, chat, conversation, OutboxDispatcher(sessions, {}, default_language="en",
                                                                   public_url=URL), sessions)
        one = Visitor(world)
        await one.open()
        await one.connect()
        for _ in range(3):
            assert "sending faster" not in texts(await one.say("help"))
        assert "sending faster" in texts(await one.say("help"))  # the session's limit
        await one.close()
        client.session.cookie_jar.clear()
        two = Visitor(world)
        await two.open()  # a new cookie: a new session's allowance, but the same address
        await two.connect()
        assert "sending faster" not in texts(await two.say("help"))
        assert "sending faster" in texts(await two.say("help"))  # 3 + 2: the address's limit
        await two.close()
        client.session.cookie_jar.clear()
        refused = await client.get("/chat")  # a third new session from one address within the hour
        assert refused.status == 429 and COOKIE not in refused.cookies
        await world.dispatcher.close()
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Vote)) == 0


def test_a_message_that_is_not_json_or_not_ours_is_ignored() -> None:
    assert parse_message("not json") == (None, False)
    assert parse_message(json.dumps([1])) == (None, False)
    assert parse_message(json.dumps({"type": "text", "text": "  "})) == (None, False)
    assert parse_message(json.dumps({"type": "text", "text": "/new"}))[0] == Command("new", "")


async def test_oasis_run_serves_the_chat_and_stops_at_once_with_a_page_open(tmp_path: Any) -> None:
    db_url = sqlite_url(tmp_path)
    await upgrade(db_url)
    settings = Settings(_env_file=None, oasis_database_url=db_url, oasis_port=0,  # type: ignore[call-arg]
                        oasis_public_url="http://127.0.0.1", oasis_default_language="en")
    app = OasisApp(settings)
    await app.start()
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:  # an IP address
            base = f"http://127.0.0.1:{app.port}"
            page = await (await client.get(f"{base}/chat")).text()
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            ws = await client.ws_connect(f"{base}/chat/ws?csrf={csrf}", headers={"Origin": base})
            await ws.send_json({"type": "text", "text": "help"})
            assert (await ws.receive_json(timeout=10))["type"] == "entry"
            started = asyncio.get_running_loop().time()
            await app.stop()
            assert asyncio.get_running_loop().time() - started < 5  # the page did not hold the shutdown
            kinds = []
            while not kinds or kinds[-1] == aiohttp.WSMsgType.TEXT:
                kinds.append((await ws.receive(timeout=5)).type)
            assert kinds[-1] in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)  # the page was told
    finally:
        await app.stop()


async def test_an_open_page_finds_a_notice_another_instance_stored(sessions: Sessions) -> None:
    conversation = Conversation(sessions, BotConfig(Rules(), URL, "en"))
    chat = web_chat(sessions, conversation, poll_seconds=0.2)
    other = WebSender(sessions, LivePages())  # another instance's sender: no page of this visitor is open there
    async with await serve(chat) as client:
        world = World(client, chat, conversation, OutboxDispatcher(sessions, {}, default_language="en",
                                                                   public_url=URL), sessions)
        visitor = Visitor(world)
        await visitor.open()
        await visitor.connect()
        await visitor.say("help")
        await other.send(Message(session_of(world), (Span("Proposal "), Span("#7", "bold"), Span(" moved on."))))
        found = await visitor.ws.receive_json(timeout=10)  # type: ignore[union-attr]
        assert found["type"] == "entry" and "entry notice" in found["html"] and "<strong>#7</strong>" in found["html"]
        await visitor.close()
        await world.dispatcher.close()
