"""After an incident: failed messages are queued again on request; old inbox rows are forgotten."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from core.clock import utcnow
from core.db import INTERACTIVE, Sessions, make_engine, make_sessions
from core.inbox import claim_event
from core.migrate import upgrade
from core.models import InboxEvent, OutboxMessage
from core.outbox import FAILED, PENDING, notify, requeue_failed
from scheduler.dispatch import OutboxDispatcher
from scheduler.jobs import prune_inbox
from tests.dbutil import sqlite_url
from tests.integration import factories as f


async def test_failed_rows_since_a_moment_are_pending_again_with_a_fresh_window(sessions: Sessions) -> None:
    person = await f.citizen(sessions)
    async with sessions() as s, s.begin():
        for n in range(3):
            await notify(s, [person.id], f"e{n}", "new_comment", {"id": n})
        rows = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        old = utcnow() - timedelta(days=2)
        await s.execute(update(OutboxMessage).values(status=FAILED, attempts=9, last_error="boom"))
        await s.execute(update(OutboxMessage).where(OutboxMessage.id == rows[0].id).values(created_at=old))
    async with sessions() as s, s.begin():
        assert await requeue_failed(s, since=utcnow() - timedelta(days=1)) == 2
    async with sessions() as s:
        statuses = [(r.status, r.attempts) for r in await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert statuses == [(FAILED, 9), (PENDING, 0), (PENDING, 0)]
    async with sessions() as s, s.begin():
        assert await requeue_failed(s) == 1  # without --since: every failed row


async def test_inbox_rows_older_than_the_kept_days_are_pruned(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        for n in range(4):
            assert await claim_event(s, "telegram", str(n))
        await s.execute(update(InboxEvent).where(InboxEvent.event_id.in_(["0", "1"]))
                        .values(received_at=utcnow() - timedelta(days=31)))
    assert await prune_inbox(sessions, keep_days=30) == 2
    async with sessions() as s:
        assert sorted((await s.scalars(select(InboxEvent.event_id))).all()) == ["2", "3"]
        assert not await claim_event(s, "telegram", "3")  # recent ones still stop a re-delivery


async def test_a_lost_toasts_words_wait_for_a_busy_database_instead_of_being_dropped(tmp_path: Path) -> None:
    """SQLite's one connection busy past the interactive pool wait (1 s): the words are kept on a retry."""
    url = sqlite_url(tmp_path)
    await upgrade(url)
    engine = make_engine(url, INTERACTIVE)
    sessions = make_sessions(engine)
    try:
        dispatcher = OutboxDispatcher(sessions, {}, default_language="en", public_url="https://o.test")

        async def hold_the_connection() -> None:
            async with sessions() as session, session.begin():
                await session.execute(select(1))
                await asyncio.sleep(1.4)

        holder = asyncio.create_task(hold_the_connection())
        await asyncio.sleep(0.05)
        await dispatcher.toast_lost("telegram", "42", None, "You support #1.")
        await holder
        async with sessions() as session:
            kept = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply"))).all()
        assert len(kept) == 1 and kept[0].channel_id == "42"
    finally:
        await engine.dispose()
