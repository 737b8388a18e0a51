"""The outbox on real databases: SQLite always, PostgreSQL when OASIS_TEST_POSTGRES_URL is set.

PostgreSQL adds what SQLite cannot show: concurrent claims (FOR UPDATE SKIP LOCKED) and two
dispatchers sharing one outbox without sending a row twice or out of order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bots.platforms import MESSAGED_BY_USER_ID
from core.addresses import Address, resolve_address
from core.citizens import Actor, ensure_identity, grant_role
from core.clock import utcnow
from core.db import Sessions
from core.instances import DEAD_AFTER, NAMESPACE, Instance, beat
from core.models import Citizen, OutboxMessage
from core.outbox import INSTANCE, claim_due, notify, queue_reply
from core.proposals import submit
from core.rules import Rules
from core.votes import vote
from scheduler.dispatch import OutboxDispatcher
from scheduler.jobs import build_scheduler, sweep_reviews
from tests.dbutil import fresh_database, postgres_url_or_skip, sqlite_url
from tests.fakes import FakeSender
from tests.integration.factories import engine_of

URL = "https://oasis.example"


@pytest.fixture(params=["sqlite", "postgresql"])
async def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Sessions]:
    url = sqlite_url(tmp_path) if request.param == "sqlite" else postgres_url_or_skip()
    engine, factory = await fresh_database(url)
    yield factory
    await engine.dispose()


@pytest.fixture
async def pg_sessions() -> AsyncIterator[Sessions]:
    engine, factory = await fresh_database(postgres_url_or_skip())
    yield factory
    await engine.dispose()


async def people(sessions: Sessions, count: int) -> list[int]:
    async with sessions() as session, session.begin():
        return [(await ensure_identity(session, "telegram", str(1000 + n))).citizen_id for n in range(count)]


async def queue_rows(sessions: Sessions, citizens: list[int], per_citizen: int) -> None:
    for n in range(per_citizen):
        async with sessions() as session, session.begin():
            for cid in citizens:
                await notify(session, [cid], f"e{n}:{cid}", "new_comment",
                             {"id": n + 1, "title": f"P{n + 1}", "comment_id": n})


async def statuses(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        return list((await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id))).all())


async def test_dispatcher_happy_path(sessions: Sessions) -> None:
    citizens = await people(sessions, 3)
    await queue_rows(sessions, citizens, 2)
    sender = FakeSender()
    d = OutboxDispatcher(sessions, {"telegram": sender}, default_language="en", public_url=URL)
    assert await d.run_once() == 6
    assert await statuses(sessions) == ["sent"] * 6
    assert sender.numbers("1000") == ["#1", "#2"]
    assert await d.pending_counts() == {"sent": 6}
    await d.close()


async def test_review_sweep_moves_and_notifies(sessions: Sessions) -> None:
    rules = Rules(vote_threshold=3, review_days=14)
    author, *voters = await people(sessions, 4)
    async with sessions() as session, session.begin():
        await grant_role(session, "telegram", "900", "official", "transport")
        proposal = await submit(session, Actor(author, frozenset()), title="Shade <b>stops</b>",
                                description="Trees at bus stops.", category="transport")
        for cid in voters:
            await vote(session, Actor(cid, frozenset()), proposal.id, rules)
    assert await sweep_reviews(sessions, rules) == 1
    assert await sweep_reviews(sessions, rules) == 0
    sender = FakeSender()
    d = OutboxDispatcher(sessions, {"telegram": sender}, default_language="en", public_url=URL)
    assert await d.run_once() == 5  # author + 3 voters follow; the official gets the queue item
    (to_author,) = sender.texts("1000")
    assert f"#{proposal.id} Shade <b>stops</b> is now under review." in to_author
    (to_official,) = sender.texts("900")
    assert "Transport Policy Division" in to_official and f"#{proposal.id}" in to_official
    await d.close()


async def test_scheduler_sweeps_at_start_and_wakes_the_dispatcher(sessions: Sessions) -> None:
    woken = asyncio.Event()

    class Waker:
        def wake(self) -> None:
            woken.set()

    rules = Rules(vote_threshold=1)
    (author,) = await people(sessions, 1)
    async with sessions() as session, session.begin():
        proposal = await submit(session, Actor(author, frozenset()), title="Benches", description="More.",
                                category="transport")
        await vote(session, Actor(author, frozenset()), proposal.id, rules)
    scheduler = build_scheduler(sessions, rules, Waker())
    assert scheduler.get_job("review_sweep") is not None
    scheduler.start()
    try:
        await asyncio.wait_for(woken.wait(), 5)
    finally:
        scheduler.shutdown(wait=False)
    assert await statuses(sessions) == ["pending"]


async def test_claims_skip_rows_locked_by_another_session(pg_sessions: Sessions) -> None:
    citizens = await people(pg_sessions, 10)
    await queue_rows(pg_sessions, citizens, 1)
    async with pg_sessions() as first, pg_sessions() as second:
        async with first.begin():
            mine = {r.id for r in await claim_due(first, limit=4)}
            async with second.begin():  # would block on the locked rows without SKIP LOCKED
                theirs = {r.id for r in await asyncio.wait_for(claim_due(second, limit=100), 5)}
        assert len(mine) == 4 and len(theirs) == 6 and not mine & theirs


async def test_concurrent_claimers_never_share_a_row(pg_sessions: Sessions) -> None:
    citizens = await people(pg_sessions, 20)
    await queue_rows(pg_sessions, citizens, 5)
    seen: list[int] = []

    async def worker() -> None:
        while True:
            async with pg_sessions() as session, session.begin():
                rows = await claim_due(session, limit=3)
                seen.extend(r.id for r in rows)
            if not rows:
                return
            await asyncio.sleep(0)

    await asyncio.gather(*(worker() for _ in range(6)))
    assert len(seen) == len(set(seen)) == 100


async def test_two_dispatchers_share_the_outbox_in_order(pg_sessions: Sessions) -> None:
    citizens = await people(pg_sessions, 8)
    await queue_rows(pg_sessions, citizens, 6)
    sender = FakeSender(delay=0.005)

    def make() -> OutboxDispatcher:
        return OutboxDispatcher(pg_sessions, {"telegram": sender}, default_language="en", public_url=URL,
                                batch=10, per_chat=2)

    async def drain(d: OutboxDispatcher) -> None:
        while (await d.pending_counts()).get("pending", 0):
            if not await d.run_once():
                await asyncio.sleep(0.05)

    both = [make(), make()]
    await asyncio.wait_for(asyncio.gather(*map(drain, both)), 60)
    for d in both:
        await d.close()
    assert await statuses(pg_sessions) == ["sent"] * 48
    assert len(sender.sent) == 48 and sender.max_in_flight_per_chat == 1
    for n in range(8):
        assert sender.numbers(str(1000 + n)) == [f"#{k}" for k in range(1, 7)]


async def test_resolve_recipient_prefers_choice_then_recency(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        # Telegram: no direct_chat_id stored, since a private chat's id is the user id.
        cid = (await ensure_identity(session, "telegram", "42", locale="en-GB")).citizen_id
    got = await resolve_one(sessions, cid, {"telegram", "slack"})
    assert got == Address(cid, "telegram", "42", None, "en-GB")
    async with sessions() as session, session.begin():
        slack = await ensure_identity(session, "slack", "U9", direct_chat_id="D9", locale="ko-KR")
        slack.citizen_id = cid  # linked accounts
    assert (await resolve_one(sessions, cid, {"telegram", "slack"})).chat_id == "D9"  # seen last
    assert (await resolve_one(sessions, cid, {"telegram"})).chat_id == "42"
    async with sessions() as session, session.begin():
        citizen = await session.get(Citizen, cid)
        assert citizen is not None
        citizen.notify_platform, citizen.language = "telegram", "ja"
    assert await resolve_one(sessions, cid, {"telegram", "slack"}) == Address(cid, "telegram", "42", "ja",
                                                                                "en-GB")
    async with sessions() as session:
        assert await resolve_address(session, cid, {"webchat"}, by_user_id=MESSAGED_BY_USER_ID) is None
        assert await resolve_address(session, 999, {"telegram"}, by_user_id=MESSAGED_BY_USER_ID) is None


async def resolve_one(sessions: Sessions, cid: int, platforms: set[str]) -> Address:
    async with sessions() as session:
        got = await resolve_address(session, cid, platforms, by_user_id=MESSAGED_BY_USER_ID)
    assert got is not None
    return got


async def test_a_dispatcher_takes_only_rows_it_can_send_so_chat_and_run_share_a_database(
        sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        on_telegram = (await ensure_identity(session, "telegram", "501")).citizen_id
        on_console = (await ensure_identity(session, "console", "alice", direct_chat_id="alice")).citizen_id
        unreachable = (await ensure_identity(session, "web", "w1")).citizen_id  # no chat anywhere
        for cid in (on_telegram, on_console, unreachable):
            await notify(session, [cid], f"e:{cid}", "new_comment", {"id": 1, "title": "P1", "comment_id": 1})
    senders: dict[str, FakeSender] = {"telegram": FakeSender("telegram")}
    run = OutboxDispatcher(sessions, senders, default_language="en", public_url=URL)  # like `oasis run`
    assert await run.run_once() == 2  # the Telegram person's row and the unreachable one, not the console's
    assert await statuses(sessions) == ["sent", "pending", "failed"]
    senders["console"] = FakeSender("console")  # added after the dispatcher was built, as `oasis chat` does
    assert await run.run_once() == 1
    assert await statuses(sessions) == ["sent", "sent", "failed"]
    assert [m.chat_id for m in senders["console"].sent] == ["alice"]
    await run.close()


async def test_a_dead_processes_claims_are_taken_over_before_their_lease_ends(sessions: Sessions) -> None:
    """PostgreSQL knows a process is gone when its lock's connection ends (as a kill -9 ends it); SQLite
    when its beats stop for DEAD_AFTER. Either way long before the 60-second lease runs out."""
    citizens = await people(sessions, 3)
    await queue_rows(sessions, citizens, 1)
    start = utcnow()
    now = [start]
    dead, alive = (Instance(engine_of(sessions), clock=lambda: now[0]) for _ in range(2))
    await dead.start()
    await alive.start()
    try:
        async with sessions() as session, session.begin():
            mine = await claim_due(session, lease_seconds=60, now=start, instance=dead.id)
        assert len(mine) == 3
        now[0] = start + timedelta(seconds=1)
        await dead.keep_alive()
        await alive.keep_alive()
        async with sessions() as session, session.begin():  # it lives: its claims stand
            assert await claim_due(session, now=now[0], instance=alive.id) == []
        if dead.postgres:
            await dead.stop()  # its connection ends, as when the process is killed
        else:
            now[0] = start + DEAD_AFTER + timedelta(seconds=1)  # no beat since: killed
            await alive.keep_alive()
        async with sessions() as session, session.begin():
            taken = await claim_due(session, now=now[0], instance=alive.id)
        assert sorted(r.id for r in taken) == sorted(r.id for r in mine)
        assert {r.claimed_by for r in taken} == {alive.id}
    finally:
        await dead.stop()
        await alive.stop()


async def test_a_held_reply_of_a_live_process_is_not_released_by_another_starting(sessions: Sessions) -> None:
    """Two instances: one starting must not send the answers the other is sending this moment; once that
    other is gone, they are anyone's at once (not after their 30-second hold)."""
    sender = FakeSender()
    first = Instance(engine_of(sessions))
    await first.start()
    try:
        async with sessions() as session, session.begin():
            session.info[INSTANCE] = first
            await queue_reply(session, "telegram", "1000", "reply:0:e1", {"spans": [["hi", None, None]]},
                              hold_seconds=30)
        second = OutboxDispatcher(sessions, {"telegram": sender}, default_language="en", public_url=URL)
        await second.release_held_replies()
        assert await second.run_once() == 0
        await first.stop()
        assert await second.run_once() == 1
        assert [m.chat_id for m in sender.sent] == ["1000"]
        await second.close()
    finally:
        await first.stop()


async def test_two_first_beats_of_one_instance_at_once_both_stand(sessions: Sessions) -> None:
    """The heartbeat task and the first claim may beat at the same moment (SQLite); neither may fail."""
    async def one_beat() -> None:
        async with sessions() as session, session.begin():
            await beat(session, "fresh", utcnow())

    await asyncio.gather(one_beat(), one_beat())
    async with sessions() as session, session.begin():
        await beat(session, "fresh", utcnow())


async def test_a_live_instance_holds_no_transaction_open(pg_sessions: Sessions) -> None:
    """The lock's connection lives as long as the process: a transaction left open on it would keep every
    row deleted since (sent outbox rows, folded tally changes) from being cleaned up, for the process's life."""
    instance = Instance(engine_of(pg_sessions))
    await instance.start()
    try:
        await instance.keep_alive()
        await instance.keep_alive()
        async with pg_sessions() as session:
            states = (await session.execute(text(
                "SELECT l.pid, a.state, a.xact_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.classid = :ns AND l.objid = :key AND l.granted"),
                {"ns": NAMESPACE, "key": int(instance.id)})).all()
        assert len(states) == 1, states
        _, state, xact_start = states[0]
        assert (state, xact_start) == ("idle", None)
    finally:
        await instance.stop()
