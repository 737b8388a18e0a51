"""`kill -9` while the dialogue room's copies are stored but not yet on Slack.

Several people write in a proposal's Telegram topic. Each message is stored with its outbox row before
Telegram gets its 200; the copies for the Slack thread go out afterwards. Slack is made to hang on the
first copy, so the process dies with that send in flight (its outbox row leased) and the later copies
stored but not yet taken. After a restart every message must show in the Slack thread once, in the
topic's order, and an edit made in Telegram must change the Slack copy it belongs to (the ts recorded in
room_copies), not another one and not a new post.

Two restarts are covered: after the outbox lease of the dead process has run out (the server was down
for more than a minute), and at once, within that lease (a supervisor restarting the process).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp
from sqlalchemy import func, select, update

from core.clock import utcnow
from core.db import make_engine, make_sessions
from core.models import OutboxMessage, RoomCopy, RoomMessage
from core.outbox import PENDING
from scheduler.room_delivery import KINDS, POST
from tests.dbutil import fresh_database
from tests.doubles.slack_api import SlackApiDouble
from tests.doubles.slack_requests import SIGNING_SECRET
from tests.doubles.slack_wire import message_text
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import edited_update, message_update
from tests.e2e.slack_harness import place_recorded
from tests.integration.factories import citizen, proposal
from tests.oasis_process import OasisProcess

TOKEN = "123456:ROOM-CRASH"
SECRET = "room-crash-secret"
ROOM_CHAT, ROOM_CHANNEL = -1001234567890, "CROOM"
PEOPLE = {101: "Ari", 102: "Bora", 103: "Chul"}
MESSAGES = 6  # two each: within the default flood limit (5 in 30 s per person)
TITLE = "Night buses"


def body(n: int) -> str:
    return f"point {n:02d}"


@dataclass
class Server:
    """The real `oasis run` as a subprocess (tests/oasis_process.py), with the doubles it talks to."""

    db_url: str
    tg: TelegramApiDouble
    slack: SlackApiDouble
    process: OasisProcess
    update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(700_000))

    @classmethod
    def of(cls, db_url: str, tg: TelegramApiDouble, slack: SlackApiDouble, log: IO[str],
           http: aiohttp.ClientSession, lease: float) -> Server:
        """`lease`: OASIS_OUTBOX_LEASE_SECONDS, how long what a dead process held stays held."""
        return cls(db_url, tg, slack, OasisProcess({
            "OASIS_DATABASE_URL": db_url, "OASIS_DEFAULT_LANGUAGE": "en", "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": tg.base_url, "TELEGRAM_WEBHOOK_URL": "https://oasis.test/telegram/webhook",
            "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_MAX_MESSAGES_PER_SECOND": "100",
            "TELEGRAM_ROOM_CHAT_ID": str(ROOM_CHAT), "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.base_url,
            "SLACK_ROOM_CHANNEL_ID": ROOM_CHANNEL, "OASIS_OUTBOX_LEASE_SECONDS": str(lease),
        }, log, http, SECRET))

    async def start(self) -> None:
        await self.process.start()

    async def kill(self) -> None:
        await self.process.kill()

    async def stop(self) -> None:
        await self.process.stop()

    async def post(self, update: dict[str, Any]) -> int:
        return await self.process.post(update)

    def next_id(self) -> int:
        return next(self.update_ids)


@asynccontextmanager
async def world(db_url: str, tmp_path: Path, *, lease: float = 60.0) -> AsyncIterator[Server]:
    """A fresh database with one proposal (#1), the doubles, and the server (not started yet)."""
    engine, sessions = await fresh_database(db_url)
    try:
        author = await citizen(sessions, "Author")
        assert await proposal(sessions, author, title=TITLE, description="Every 20 minutes after midnight.") == 1
    finally:
        await engine.dispose()
    with (tmp_path / "oasis.log").open("w") as log:
        async with TelegramApiDouble() as tg, SlackApiDouble() as slack, aiohttp.ClientSession() as http:
            slack.add_channel(ROOM_CHANNEL)
            server = Server.of(db_url, tg, slack, log, http, lease)
            try:
                async with asyncio.timeout(120):
                    yield server
            finally:
                await server.stop()


async def open_discussion(server: Server) -> tuple[int, str]:
    """`/room 1` from a private chat opens #1's topic and Slack thread: (topic, root ts)."""
    tg, slack = server.tg, server.slack
    assert await server.post(message_update(server.next_id(), 101, "/room 1", first_name=PEOPLE[101])) == 200
    _, created = await tg.wait_for(lambda m, p: m == "createForumTopic" and str(p.get("name")).startswith("#1 "))
    topic = next(t for t, name in tg.topics[ROOM_CHAT].items() if name == created["name"])
    await slack.wait_for(lambda _m, _p: any(TITLE in message_text(x) for x in slack.in_thread(ROOM_CHANNEL, None)))
    [root] = slack.in_thread(ROOM_CHANNEL, None)
    # Oasis records each place after the platform answers: written in before that, a message is not ours.
    await place_recorded(server.db_url, "telegram", str(ROOM_CHAT), str(topic))
    await place_recorded(server.db_url, "slack", ROOM_CHANNEL, str(root["ts"]))
    return topic, str(root["ts"])


async def write_with_slack_hanging(server: Server, topic: int) -> dict[int, tuple[int, int]]:
    """Everyone writes in the topic while Slack hangs on the first copy; returns n → (person, message id).

    The first message is written alone and its Slack call seen in flight, so the dispatcher is busy with
    it while the others are stored: they wait, stored and not taken."""
    server.slack.hold("chat.postMessage")
    written: dict[int, tuple[int, int]] = {}
    people = itertools.cycle(PEOPLE)
    for n in range(1, MESSAGES + 1):
        person, message_id = next(people), 9000 + n
        said = message_update(server.next_id(), person, body(n), first_name=PEOPLE[person], chat_id=ROOM_CHAT,
                              chat_type="supergroup", thread_id=topic, message_id=message_id)
        assert await server.post(said) == 200  # stored: Telegram will not send it again
        written[n] = (person, message_id)
        if n == 1:
            await server.slack.wait_for(lambda m, p: m == "chat.postMessage" and body(1) in message_text(p))
    return written


def thread_bodies(slack: SlackApiDouble, root: str) -> list[str]:
    """What the Slack thread shows, oldest first, without the "Name (Telegram): " prefix."""
    return [message_text(m).split(": ", 1)[-1] for m in slack.in_thread(ROOM_CHANNEL, root)]


async def all_in_thread_in_order(slack: SlackApiDouble, root: str, timeout: float) -> list[str]:  # noqa: ASYNC109
    """Waits until the thread holds every message; fails as soon as it shows one out of order (a message
    before one written earlier that is still missing), rather than waiting for the rest."""
    expected = [body(n) for n in range(1, MESSAGES + 1)]

    def settled(_method: str, _params: dict[str, Any]) -> bool:
        shown = thread_bodies(slack, root)
        assert shown == expected[:len(shown)], f"the Slack thread shows {shown}; in order it is {expected}"
        return len(shown) == len(expected)

    await slack.wait_for(settled, timeout)
    return thread_bodies(slack, root)


async def outbox_leased(db_url: str) -> int:
    """Rows the dead process had claimed and not finished: pending, tried, due only when the lease ends."""
    engine = make_engine(db_url)
    try:
        async with make_sessions(engine)() as session:
            rows = await session.scalars(select(OutboxMessage.id).where(
                OutboxMessage.status == PENDING, OutboxMessage.attempts > 0, OutboxMessage.next_attempt_at > utcnow(),
                OutboxMessage.kind == POST))
            return len(rows.all())
    finally:
        await engine.dispose()


async def outlast_the_lease(db_url: str) -> None:
    """The server stays down longer than the outbox lease: what the dead process had claimed is due again
    (the clock moved on; nothing else changes)."""
    engine = make_engine(db_url)
    try:
        async with make_sessions(engine)() as session, session.begin():
            now = utcnow()
            await session.execute(update(OutboxMessage).where(
                OutboxMessage.status == PENDING, OutboxMessage.attempts > 0, OutboxMessage.next_attempt_at > now)
                .values(next_attempt_at=now))
    finally:
        await engine.dispose()


async def room_rows_done(db_url: str, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Waits until no room row of the outbox is pending: whatever the room had to send is sent."""
    engine = make_engine(db_url)
    try:
        async with asyncio.timeout(timeout):
            while True:
                async with make_sessions(engine)() as session:
                    pending = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
                        OutboxMessage.status == PENDING, OutboxMessage.kind.in_(KINDS)))
                if not pending:
                    return
                await asyncio.sleep(0.05)
    finally:
        await engine.dispose()


async def slack_copies(db_url: str, timeout: float = 10.0) -> dict[int, str | None]:  # noqa: ASYNC109
    """Room message seq → the ts room_copies recorded for its Slack copy, once every message's is recorded.

    Slack shows a copy as soon as it is posted; Oasis records its ts when the answer is back, a moment
    later: read too early, the last copy's ts is still missing (a race of the test, not of Oasis)."""
    engine = make_engine(db_url)
    try:
        async with asyncio.timeout(timeout):
            while True:
                async with make_sessions(engine)() as session:
                    rows = await session.execute(select(RoomMessage.seq, RoomCopy.platform_message_id)
                                                 .join(RoomCopy, RoomCopy.message_id == RoomMessage.id)
                                                 .where(RoomCopy.platform == "slack"))
                    copies: dict[int, str | None] = {int(seq): ts for seq, ts in rows.all()}
                if len(copies) == MESSAGES and all(copies.values()):
                    return copies
                await asyncio.sleep(0.05)
    except TimeoutError:
        return copies  # the caller's comparison says what is missing
    finally:
        await engine.dispose()


async def edit_reaches_its_copy(server: Server, root: str, topic: int, written: dict[int, tuple[int, int]]) -> None:
    """The author of message 3 edits it in Telegram: one chat.update, on the ts recorded for that copy."""
    slack = server.slack
    copies = await slack_copies(server.db_url)
    thread = slack.in_thread(ROOM_CHANNEL, root)
    assert copies == {n: str(thread[n - 1]["ts"]) for n in range(1, MESSAGES + 1)}
    person, message_id = written[3]
    updates_before = slack.methods().count("chat.update")
    edit = edited_update(server.next_id(), person, "point 03, corrected", chat_id=ROOM_CHAT, message_id=message_id,
                         thread_id=topic, first_name=PEOPLE[person])
    assert await server.post(edit) == 200
    _, params = await slack.wait_for(lambda m, p: m == "chat.update" and "corrected" in message_text(p))
    assert params["ts"] == copies[3] and params["channel"] == ROOM_CHANNEL
    await room_rows_done(server.db_url)  # nothing left that could update or post again
    assert slack.methods().count("chat.update") == updates_before + 1
    assert server.tg.in_topic(ROOM_CHAT, topic) == []  # nothing mirrored back to where it was written
    assert thread_bodies(slack, root) == [body(1), body(2), "point 03, corrected", *map(body, range(4, MESSAGES + 1))]


async def test_after_a_kill_9_and_a_restart_past_the_lease_each_message_reaches_slack_once_in_order(
    db_url: str, tmp_path: Path
) -> None:
    async with world(db_url, tmp_path) as server:
        slack = server.slack
        await server.start()
        topic, root = await open_discussion(server)
        written = await write_with_slack_hanging(server, topic)
        await server.kill()
        slack.release("chat.postMessage", lost=True)  # the send in flight died with the process, unseen by Slack
        assert slack.in_thread(ROOM_CHANNEL, root) == []
        assert await outbox_leased(server.db_url) >= 1
        await outlast_the_lease(server.db_url)

        await server.start()
        shown = await all_in_thread_in_order(slack, root, timeout=30)
        assert shown == [body(n) for n in range(1, MESSAGES + 1)]
        await edit_reaches_its_copy(server, root, topic, written)


async def test_after_a_kill_9_and_an_immediate_restart_each_message_reaches_slack_once_in_order(
    db_url: str, tmp_path: Path
) -> None:
    """Restarted at once, well within the dead process's 60-second lease: it is known dead (its lock or its
    heartbeat ended), so the copy it was sending is taken over within seconds, and no later copy goes out
    before it."""
    async with world(db_url, tmp_path, lease=60.0) as server:
        slack = server.slack
        await server.start()
        topic, root = await open_discussion(server)
        written = await write_with_slack_hanging(server, topic)
        await server.kill()
        slack.release("chat.postMessage", lost=True)
        assert await outbox_leased(server.db_url) >= 1

        await server.start()
        started = time.monotonic()
        shown = await all_in_thread_in_order(slack, root, timeout=40)
        assert time.monotonic() - started < 30  # taken over, not waited out
        assert shown == [body(n) for n in range(1, MESSAGES + 1)]
        await edit_reaches_its_copy(server, root, topic, written)
