"""The Bot API has a bad day: minutes of 500s, a slow API, 429s for every reply. Nothing is lost.

The dispatcher's clock is injected and the double's failures are switched on and off, so minutes of
outage pass in seconds; sends are real PTB calls to the Bot API double.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.telegram.sender import TelegramSender
from adapters.telegram.setup import make_bot
from core.citizens import ensure_identity
from core.db import Sessions
from core.models import OutboxMessage
from core.outbox import notify
from scheduler.dispatch import OutboxDispatcher
from scheduler.retry_policy import MAYBE_SENT_PAUSE
from tests.clock import Clock
from tests.dbutil import fresh_database, sqlite_url
from tests.doubles.telegram_api import TelegramApiDouble

TOKEN = "123456:OUTAGE"
PEOPLE = 60


@pytest.fixture
async def sessions(tmp_path: Path) -> Any:
    engine, factory = await fresh_database(sqlite_url(tmp_path))
    yield factory
    await engine.dispose()


async def queue_notices(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        for n in range(PEOPLE):
            ident = await ensure_identity(session, "telegram", str(5000 + n), direct_chat_id=str(5000 + n))
            await notify(session, [ident.citizen_id], f"comment:{n}", "new_comment", {"id": n + 1, "title": "T"})


async def statuses(sessions: Sessions) -> dict[str, int]:
    async with sessions() as session:
        rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return {status: int(n) for status, n in rows.all()}


async def until_settled(dispatcher: OutboxDispatcher, clock: Clock, sessions: Sessions, step: float) -> None:
    for _ in range(400):
        if (await statuses(sessions)).get("pending", 0) == 0:
            return
        await dispatcher.run_once()
        clock.advance(step)
    raise AssertionError(f"still pending: {await statuses(sessions)}")


async def test_minutes_of_500s_lose_no_notice(sessions: Sessions) -> None:
    await queue_notices(sessions)
    clock = Clock()
    async with TelegramApiDouble() as api:
        bot = make_bot(TOKEN, api.base_url)
        async with bot:
            sender = TelegramSender(bot, 1000)
            dispatcher = OutboxDispatcher(sessions, {"telegram": sender}, default_language="en",
                                          public_url="https://oasis.test", clock=clock)
            api.outage(500)
            simulated = 0.0
            while simulated < 30 * 60:  # half an hour of Bot API 500s (the report: 200 s lost everything)
                await dispatcher.run_once()
                clock.advance(60)
                simulated += 60
            assert (await statuses(sessions)) == {"pending": PEOPLE}
            api.outage(None)
            clock.advance(300)
            await until_settled(dispatcher, clock, sessions, 300)
            await dispatcher.close()
    assert await statuses(sessions) == {"sent": PEOPLE}
    assert dispatcher.failed == 0 and dispatcher.retried >= PEOPLE
    assert all(len(api.sent_to(5000 + n)) == 1 for n in range(PEOPLE))


async def test_a_slow_api_within_the_read_timeout_sends_each_notice_once(sessions: Sessions) -> None:
    await queue_notices(sessions)
    clock = Clock()
    async with TelegramApiDouble() as api:
        bot = make_bot(TOKEN, api.base_url, read_timeout=2.0)  # scaled: Telegram slow at 12 s, timeout 30 s
        async with bot:
            api.latency = 0.6
            dispatcher = OutboxDispatcher(sessions, {"telegram": TelegramSender(bot, 1000)}, default_language="en",
                                          public_url="https://oasis.test", clock=clock)
            await until_settled(dispatcher, clock, sessions, 1)
            await dispatcher.close()
    for n in range(PEOPLE):
        assert len(api.sent_to(5000 + n)) == 1
    assert dispatcher.maybe_sent == 0


async def test_a_send_past_the_read_timeout_is_counted_maybe_sent_and_retried_only_after_a_pause(
        sessions: Sessions) -> None:
    await queue_notices(sessions)
    clock = Clock()
    async with TelegramApiDouble() as api:
        bot = make_bot(TOKEN, api.base_url, read_timeout=0.2)
        async with bot:
            api.latency = 0.5  # from now on every answer comes after the read timeout
            dispatcher = OutboxDispatcher(sessions, {"telegram": TelegramSender(bot, 1000)}, default_language="en",
                                          public_url="https://oasis.test", clock=clock)
            started = clock()
            await dispatcher.run_once()
            async with sessions() as session:
                due = (await session.scalars(select(OutboxMessage.next_attempt_at))).all()
            assert dispatcher.maybe_sent == PEOPLE
            assert min(due) >= started + MAYBE_SENT_PAUSE  # not the 1 s backoff of an ordinary error
            api.latency = 0.0
            clock.advance(MAYBE_SENT_PAUSE.total_seconds() + 1)
            await until_settled(dispatcher, clock, sessions, 1)
            await dispatcher.close()
            await asyncio.sleep(0.6)  # let the double finish the slow first attempts
    assert await statuses(sessions) == {"sent": PEOPLE}
