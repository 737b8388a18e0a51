"""Two `oasis run` on one PostgreSQL database, behind a load balancer: the real server twice in this
process (two OasisApp, two ports, two engines), the real PTB client, one Bot API double.

Every event is applied once whichever instance gets it (a re-delivery may reach the other one), every
notice of a decision is sent once although both dispatchers take from the outbox, the bot-wide Telegram
rate is held by the two together (the double answers 429 beyond it, as Telegram does), and a timed job
runs in one instance at a time.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import func, select, text, update

from bots.app import OasisApp
from core.citizens import Actor, ensure_identity, grant_role
from core.clock import utcnow
from core.db import Sessions
from core.models import Citizen, Follow, InboxEvent, Proposal
from core.proposals import submit
from scheduler.jobs import JobEnv, lock_key, run_job
from tests.dbutil import fresh_database, postgres_url_or_skip
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import message_update
from tests.e2e.harness import Client, settings_for

RATE = 10.0  # TELEGRAM_MAX_MESSAGES_PER_SECOND, scaled down so the fan-out below is several seconds of it
SUPPORTERS = 50
OFFICIAL, FIRST = 7, 50_000


@pytest.fixture
async def pg_sessions() -> AsyncIterator[Sessions]:
    engine, factory = await fresh_database(postgres_url_or_skip())
    yield factory
    await engine.dispose()


async def seed(sessions: Sessions) -> None:
    """#1 under review in transport, an official of transport, and SUPPORTERS following it."""
    async with sessions() as session, session.begin():
        author = await ensure_identity(session, "telegram", "6", display_name="Author")
        await ensure_identity(session, "telegram", str(OFFICIAL), display_name="Official")
        await grant_role(session, "telegram", str(OFFICIAL), "official", "transport")
        proposal = await submit(session, Actor(author.citizen_id, frozenset()), title="Night buses",
                                description="Buses every 20 minutes after midnight.", category="transport")
        await session.execute(update(Proposal).where(Proposal.id == proposal.id).values(
            status="under_review", review_deadline=utcnow() + timedelta(days=14)))
        for n in range(SUPPORTERS):
            supporter = await ensure_identity(session, "telegram", str(FIRST + n))
            session.add(Follow(proposal_id=proposal.id, citizen_id=supporter.citizen_id))


async def test_two_instances_share_the_webhook_load_the_outbox_and_the_bots_rate(pg_sessions: Sessions) -> None:
    await seed(pg_sessions)
    url = postgres_url_or_skip()
    async with AsyncExitStack() as stack:
        api = await stack.enter_async_context(TelegramApiDouble(bot_limit=(RATE, RATE)))
        http = await stack.enter_async_context(aiohttp.ClientSession())
        apps = [OasisApp(settings_for(url, api, telegram_max_messages_per_second=RATE)) for _ in range(2)]
        for app in apps:
            await app.start()
            stack.push_async_callback(app.stop)
        first, second = (Client(app, http, api) for app in apps)

        # The balancer spreads the updates; Telegram re-delivers each one, and the copy reaches the other.
        for n in range(10):
            update = message_update(700 + n, 80_000 + n, "/start")
            assert await (first if n % 2 else second).post(update) == 200
            assert await (second if n % 2 else first).post(update) == 200
        answered = Counter(p["chat_id"] for m, p in api.calls if m == "sendMessage")
        assert answered == {80_000 + n: 1 for n in range(10)}  # each applied and answered once
        async with pg_sessions() as session:
            assert await session.scalar(select(func.count()).select_from(InboxEvent)) == 10
            assert await session.scalar(select(func.count()).select_from(Citizen)) == SUPPORTERS + 2 + 10

        # The decision, to one instance; both dispatchers send its notices.
        decision = message_update(800, OFFICIAL, "/review 1 reject budget Not this year, sorry.")
        assert await first.post(decision) == 200

        def told() -> Counter[int]:
            return Counter(p["chat_id"] for m, p in api.calls
                           if m == "sendMessage" and isinstance(p["chat_id"], int) and p["chat_id"] >= FIRST
                           and p["chat_id"] < FIRST + SUPPORTERS)

        await api.wait_for(lambda _m, _p: len(told()) == SUPPORTERS, timeout=60)
        await asyncio.sleep(0.5)  # a second copy, were there one, would be on its way by now
        assert api.over_bot_limit == 0  # the two together kept to the bot's rate (else 429s, and retries)
        assert told() == {FIRST + n: 1 for n in range(SUPPORTERS)}
        assert all(app.dispatcher.sent > 0 for app in apps)  # both took part

        # A timed job runs in one instance at a time: while another process holds its lock, it is skipped.
        async with apps[0].sessions() as holder, holder.begin():
            await holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key("review_sweep")})
            skipped = await run_job(JobEnv(apps[1].sessions, apps[1].rules), "review_sweep")
        assert not skipped.ran
        assert (await run_job(JobEnv(apps[1].sessions, apps[1].rules), "review_sweep")).ran
