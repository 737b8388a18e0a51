"""After an incident: failed messages are queued again on request; old inbox rows are forgotten."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from core.clock import utcnow
from core.db import Sessions
from core.inbox import claim_event
from core.models import InboxEvent, OutboxMessage
from core.outbox import FAILED, PENDING, notify, requeue_failed
from scheduler.jobs import prune_inbox
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
