"""What several processes (or one after a restart) share about sending, through the database: Slack DM
channels opened once, and the bot-wide Telegram rate taken slot by slot."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.pacing import SharedLimiter
from adapters.slack import SlackSender, make_client
from adapters.slack.people import People
from bots.neutral import Message, Span
from core.citizens import ensure_identity
from core.db import Sessions, make_engine
from core.models import Identity
from core.send_slots import SendSlots, StoredDirectChats
from tests.dbutil import postgres_url_or_skip
from tests.doubles.slack_api import SlackApiDouble
from tests.integration.factories import engine_of


async def test_a_slack_dm_opened_once_is_not_opened_again_after_a_restart(sessions: Sessions) -> None:
    """conversations.open is limited to about 50 a minute: a fan-out to hundreds must not repeat it."""
    async with sessions() as session, session.begin():
        await ensure_identity(session, "slack", "UMINA", seen=False)  # supported from a channel: no DM yet
    async with SlackApiDouble() as api:
        for _process in range(2):  # a restart (or another instance): an empty cache, the same database
            client = make_client(api.token, api.base_url)
            sender = SlackSender(client, People(client, store=StoredDirectChats(engine_of(sessions))))
            await sender.send(Message(chat_id="UMINA", text=(Span("Decided"),)))
        assert api.methods().count("conversations.open") == 1
        assert len(api.posted(api.dm_of("UMINA"))) == 2
    async with sessions() as session:
        stored = await session.scalar(select(Identity.direct_chat_id).where(Identity.user_id == "UMINA"))
    assert stored == api.dm_of("UMINA")


@pytest.fixture
async def pg_engine(sessions: Sessions) -> AsyncEngine:
    engine = engine_of(sessions)
    if engine.dialect.name != "postgresql":
        postgres_url_or_skip()
        pytest.skip("send slots are shared on PostgreSQL only (SQLite has one sending process)")
    return engine


async def test_two_processes_taking_slots_together_keep_to_the_bots_rate(pg_engine: AsyncEngine) -> None:
    """200 sends at 100 a second, taken at once by two processes (two engines): their slots follow one
    another 10 ms apart, so the next free one is 2 s after the first, however fast they were taken."""
    other = make_engine(postgres_url_or_skip())
    try:
        slots = [SendSlots(pg_engine), SendSlots(other)]
        async with pg_engine.connect() as connection:
            started = await connection.scalar(text("SELECT extract(epoch from clock_timestamp())::float8"))
        waits = await asyncio.gather(*(slots[n % 2].take("telegram:1", 0.01) for n in range(200)))
        async with pg_engine.connect() as connection:
            next_at = await connection.scalar(text("SELECT next_at FROM send_slots WHERE key = 'telegram:1'"))
    finally:
        await other.dispose()
    assert next_at - started >= 2.0 - 1e-6  # 200 slots of 10 ms: none handed out twice
    assert min(waits) == 0.0 and max(waits) > 0.0  # the first goes at once, later ones wait their turn


async def test_a_shared_limiter_waits_for_its_slot(pg_engine: AsyncEngine) -> None:
    limiter = SharedLimiter(SendSlots(pg_engine), "telegram:3", rate=20.0)
    await SendSlots(pg_engine).hold("telegram:3", 0.3)  # another process's 429
    loop = asyncio.get_running_loop()
    started = loop.time()
    await limiter.acquire()
    assert loop.time() - started >= 0.25  # it waited for the other process's pause


async def test_a_429_to_one_process_holds_the_others(pg_engine: AsyncEngine) -> None:
    """Telegram's pause for the whole bot is the bot's: the next slot, in any process, is after it."""
    first, second = (SendSlots(pg_engine) for _ in range(2))
    await first.hold("telegram:2", 30.0)
    assert await second.take("telegram:2", 0.01) > 29.0
