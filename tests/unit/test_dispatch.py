"""The outbox dispatcher against a real SQLite database and a fake platform sender."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bots.ports import PermanentError, RetryAfter, TransientError
from core.addresses import Address
from core.citizens import ensure_identity
from core.db import Sessions
from core.models import OutboxMessage
from core.outbox import claim_due, notify
from scheduler.dispatch import OutboxDispatcher
from scheduler.retry_policy import backoff_seconds
from tests.clock import Clock
from tests.dbutil import fresh_database, sqlite_url
from tests.fakes import FakeSender

URL = "https://oasis.example"


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine, factory = await fresh_database(sqlite_url(tmp_path))
    yield factory
    await engine.dispose()


async def person(sessions: Sessions, user_id: str, *, platform: str = "telegram", **kw: str) -> int:
    async with sessions() as session, session.begin():
        return (await ensure_identity(session, platform, user_id, **kw)).citizen_id


async def queue(sessions: Sessions, citizen_id: int, *proposal_ids: int) -> None:
    """One `new_comment` row per proposal id, each in its own transaction (so ids follow the order)."""
    for pid in proposal_ids:
        async with sessions() as session, session.begin():
            await notify(session, [citizen_id], f"comment:{pid}:{citizen_id}", "new_comment",
                         {"id": pid, "title": f"Proposal {pid}", "comment_id": pid})


async def outbox(sessions: Sessions) -> list[OutboxMessage]:
    async with sessions() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def dispatcher(sessions: Sessions, sender: FakeSender, clock: Clock, **kw: Any) -> OutboxDispatcher:
    return OutboxDispatcher(sessions, {sender.platform: sender}, default_language="ko", public_url=URL,
                            clock=clock, **kw)


async def test_delivers_and_marks_sent(sessions: Sessions) -> None:
    alice, bob = await person(sessions, "100", locale="en-US"), await person(sessions, "200")
    await queue(sessions, alice, 1, 2)
    await queue(sessions, bob, 3)
    sender, clock = FakeSender(), Clock()
    d = dispatcher(sessions, sender, clock)
    assert await d.run_once() == 3
    assert sender.texts("100") == [f"New comment on your proposal #1 Proposal 1.\n{URL}/p/1",
                                   f"New comment on your proposal #2 Proposal 2.\n{URL}/p/2"]
    assert len(sender.texts("200")) == 1
    rows = await outbox(sessions)
    assert {(r.status, r.platform, r.attempts) for r in rows} == {("sent", "telegram", 1)}
    assert all(r.sent_at is not None for r in rows)
    assert await d.pending_counts() == {"sent": 3}
    assert (d.sent, d.failed, d.retried) == (3, 0, 0)
    assert await d.run_once() == 0


async def test_language_choice(sessions: Sessions) -> None:
    d = dispatcher(sessions, FakeSender(), Clock())
    assert d.language_for(Address(1, "telegram", "1", "ja", "en-US")) == "ja"
    assert d.language_for(Address(1, "telegram", "1", None, "en-US")) == "en"
    assert d.language_for(Address(1, "telegram", "1", None, "fr-FR")) == "ko"
    assert d.language_for(Address(1, "telegram", "1", None, None)) == "ko"


async def test_retry_after_reschedules_the_chat_and_delivers_later(sessions: Sessions) -> None:
    cid = await person(sessions, "100")
    await queue(sessions, cid, 1, 2)
    sender, clock = FakeSender(), Clock()
    sender.fail("100", RetryAfter(30))
    d = dispatcher(sessions, sender, clock)
    before = clock()
    await d.run_once()
    first, second = await outbox(sessions)
    assert first.status == "pending" and first.next_attempt_at >= before + timedelta(seconds=30)
    assert "RetryAfter" in (first.last_error or "")
    assert second.next_attempt_at == first.next_attempt_at and second.attempts == 0  # untried: no attempt
    assert sender.sent == [] and d.retried == 1
    clock.advance(10)
    await d.run_once()
    assert sender.sent == []
    clock.advance(21)
    assert await d.run_once() == 2
    assert sender.numbers("100") == ["#1", "#2"]
    assert [r.status for r in await outbox(sessions)] == ["sent", "sent"]


async def test_rate_limits_are_waited_out_for_as_long_as_the_give_up_time(sessions: Sessions) -> None:
    cid = await person(sessions, "100")
    await queue(sessions, cid, 1)
    sender, clock = FakeSender(), Clock()
    sender.fail("100", *[RetryAfter(30) for _ in range(40)])  # 20 minutes of 429s
    d = dispatcher(sessions, sender, clock, give_up=timedelta(hours=1))
    for _ in range(41):
        await d.run_once()
        clock.advance(31)
    (row,) = await outbox(sessions)
    assert row.status == "sent" and row.attempts == 41  # every attempt counted, none used up the message
    assert (d.retried, d.failed) == (40, 0)


async def test_transient_errors_back_off_capped_and_fail_only_past_the_give_up_time(sessions: Sessions) -> None:
    cid = await person(sessions, "100")
    await queue(sessions, cid, 1)
    sender, clock = FakeSender(), Clock()
    sender.fail("100", *[TransientError("502 Bad Gateway") for _ in range(100)])
    d = dispatcher(sessions, sender, clock, give_up=timedelta(minutes=30))
    delays = []
    for _ in range(20):
        start = clock()
        await d.run_once()
        (row,) = await outbox(sessions)
        if row.status != "pending":
            break
        delays.append((row.next_attempt_at - start).total_seconds())
        clock.advance(delays[-1] + 0.01)
    assert [round(x) for x in delays[:5]] == [1, 2, 4, 8, 16] and max(delays) <= 300.5
    assert row.status == "failed" and sum(delays) <= 30 * 60 + 1  # it gave up at the 30-minute mark
    assert row.last_error is not None and row.last_error.endswith("TransientError: 502 Bad Gateway")
    assert row.last_error.startswith("gave up after 0:30:00")
    assert await d.pending_counts() == {"failed": 1}
    assert [backoff_seconds(n) for n in (1, 2, 3, 9, 10, 50)] == [1, 2, 4, 256, 300, 300]


async def test_permanent_error_fails_at_once_and_the_chat_continues(sessions: Sessions) -> None:
    cid = await person(sessions, "100")
    await queue(sessions, cid, 1, 2)
    sender, clock = FakeSender(), Clock()
    sender.fail("100", PermanentError("Forbidden: bot was blocked by the user"))
    d = dispatcher(sessions, sender, clock)
    await d.run_once()
    first, second = await outbox(sessions)
    assert (first.status, first.attempts) == ("failed", 1)
    assert first.last_error == "PermanentError: Forbidden: bot was blocked by the user"
    assert second.status == "sent"


async def test_one_chat_in_order_and_one_at_a_time_chats_in_parallel(sessions: Sessions) -> None:
    people = [await person(sessions, str(100 + n)) for n in range(4)]
    for round_ in range(3):
        for n, cid in enumerate(people):
            await queue(sessions, cid, 10 * n + round_)
    sender, clock = FakeSender(delay=0.02), Clock()
    assert await dispatcher(sessions, sender, clock).run_once() == 12
    for n in range(4):
        assert sender.numbers(str(100 + n)) == [f"#{10 * n + r}" for r in range(3)]
    assert sender.max_in_flight_per_chat == 1
    assert sender.max_in_flight > 1


async def test_a_later_row_waits_for_an_earlier_retry(sessions: Sessions) -> None:
    cid = await person(sessions, "100")
    await queue(sessions, cid, 1)
    sender, clock = FakeSender(), Clock()
    sender.fail("100", RetryAfter(30))
    d = dispatcher(sessions, sender, clock)
    await d.run_once()
    await queue(sessions, cid, 2)  # written after the first failed: due now, but must not overtake it
    clock.advance(1)
    await d.run_once()
    assert sender.sent == []
    assert (await outbox(sessions))[1].attempts == 0
    clock.advance(30)
    await d.run_once()
    await d.run_once()
    assert sender.numbers("100") == ["#1", "#2"]


async def test_a_big_backlog_for_one_chat_is_spread_over_batches(sessions: Sessions) -> None:
    cid = await person(sessions, "100")
    await queue(sessions, cid, *range(1, 6))
    sender, clock = FakeSender(), Clock()
    d = dispatcher(sessions, sender, clock, per_chat=2)
    assert await d.run_once() == 2
    assert [r.attempts for r in await outbox(sessions)] == [1, 1, 0, 0, 0]
    while await d.run_once():
        pass
    assert sender.numbers("100") == ["#1", "#2", "#3", "#4", "#5"]


async def test_rows_of_a_crashed_worker_are_delivered_after_the_lease(sessions: Sessions) -> None:
    cid = await person(sessions, "100")
    await queue(sessions, cid, 1)
    async with sessions() as session, session.begin():
        assert len(await claim_due(session, lease_seconds=60)) == 1  # ... and then the process died
    sender, clock = FakeSender(), Clock()
    d = dispatcher(sessions, sender, clock)
    assert await d.run_once() == 0
    clock.advance(61)
    assert await d.run_once() == 1
    (row,) = await outbox(sessions)
    assert (row.status, row.attempts) == ("sent", 2)


async def test_no_reachable_identity_fails_the_row_and_one_reachable_elsewhere_is_left(sessions: Sessions) -> None:
    slack_only = await person(sessions, "U1", platform="slack", direct_chat_id="D1")
    web_no_chat = await person(sessions, "w1", platform="webchat")
    await queue(sessions, slack_only, 1)
    await queue(sessions, web_no_chat, 2)
    sender = FakeSender()
    d = OutboxDispatcher(sessions, {"telegram": sender, "webchat": FakeSender("webchat")},
                         default_language="en", public_url=URL)
    await d.run_once()
    # Slack is another process's to send (issue 8: a dispatcher takes only rows it can send); the web
    # account has no chat anywhere, so that row fails.
    assert [(r.status, r.last_error) for r in await outbox(sessions)] == [("pending", None), ("failed", "no_recipient")]
    assert d.failed == 1


async def test_run_loop_wakes_survives_errors_and_stops(sessions: Sessions) -> None:
    cid = await person(sessions, "100")
    sender, stop = FakeSender(), asyncio.Event()
    d = OutboxDispatcher(sessions, {"telegram": sender}, default_language="en", public_url=URL,
                         idle_seconds=30)
    real_run_once, calls = d.run_once, []

    async def flaky_run_once() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database unavailable")
        return await real_run_once()

    d.run_once = flaky_run_once  # type: ignore[method-assign]
    task = asyncio.create_task(d.run(stop))
    await asyncio.sleep(0.05)
    await queue(sessions, cid, 1)
    d.wake()
    for _ in range(100):
        if sender.sent:
            break
        await asyncio.sleep(0.02)
    assert len(sender.sent) == 1 and len(calls) >= 2
    stop.set()
    await asyncio.wait_for(task, 2)
