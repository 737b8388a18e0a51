"""Group commit: concurrent events share a transaction, and behave exactly as if applied one by one."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bots.context import BotConfig
from bots.conversation import Conversation
from bots.neutral import ButtonPress, Command, Inbound, Reply, Toast, Where, Who
from core.citizens import Account, enter_many, grant_role
from core.db import Sessions
from core.inbox import claim_events
from core.models import Citizen, Follow, Identity, InboxEvent, StatusEvent, Vote
from core.rules import Rules
from tests.integration import factories as f


def press(n: int, proposal_id: int, *, event: str | None = None) -> Inbound:
    who = Who("telegram", f"9{n:04d}", f"Voter {n}", "en")
    return Inbound("telegram", event or f"ev-{n}", who, Where(who.user_id), ButtonPress("vote", str(proposal_id)))


def notices(replies: list[Reply] | None) -> str:
    return " ".join(r.text for r in replies or [] if isinstance(r, Toast))


async def test_a_storm_of_presses_is_stored_exactly(sessions: Sessions) -> None:
    rules = Rules(vote_threshold=1000)
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    conversation = Conversation(sessions, BotConfig(rules, "https://oasis.test", "en"))
    replies = await asyncio.gather(*(conversation(press(n, pid)) for n in range(40)))
    assert all("You support #" in notices(r) for r in replies)
    assert await f.vote_count(sessions, pid) == 40
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(InboxEvent)) == 40
        assert await s.scalar(select(func.count()).select_from(Follow).where(Follow.proposal_id == pid)) == 41
    # the last reply knows the final count: with 40 votes, 960 more are needed
    assert any("960 more" in notices(r) for r in replies)


async def test_duplicates_inside_and_across_batches_count_once(sessions: Sessions) -> None:
    rules = Rules(vote_threshold=1000)
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    conversation = Conversation(sessions, BotConfig(rules, "https://oasis.test", "en"))
    same = press(1, pid, event="dup")
    results = await asyncio.gather(conversation(same), conversation(same), conversation(press(2, pid)),
                                   conversation(press(1, pid, event="again")))
    assert results[1] is None or results[0] is None
    assert await f.vote_count(sessions, pid) == 2
    assert "You already support" in notices(results[3])


async def test_a_failing_event_falls_back_without_losing_the_others(sessions: Sessions) -> None:
    rules = Rules(vote_threshold=1000)
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    conversation = Conversation(sessions, BotConfig(rules, "https://oasis.test", "en"))
    who = Who("telegram", "777", "Curious", "en")
    bad = Inbound("telegram", "show-missing", who, Where("777"), Command("show", "424242"))
    results = await asyncio.gather(*(conversation(press(n, pid)) for n in range(5)), conversation(bad),
                                   *(conversation(press(n, pid)) for n in range(5, 10)))
    assert await f.vote_count(sessions, pid) == 10
    refused = results[5]
    assert refused is not None and "There is no proposal #424242" in "".join(s.text for s in refused[0].text)


async def test_threshold_crossed_inside_a_batch_moves_once(sessions: Sessions) -> None:
    rules = Rules(vote_threshold=5)
    author = await f.citizen(sessions, "author")
    await f.official(sessions, "transport")
    pid = await f.proposal(sessions, author)
    conversation = Conversation(sessions, BotConfig(rules, "https://oasis.test", "en"))
    results = await asyncio.gather(*(conversation(press(n, pid)) for n in range(8)))
    assert (await f.get(sessions, pid)).status == "under_review"
    async with sessions() as s:
        moves = await s.scalar(select(func.count()).select_from(StatusEvent)
                               .where(StatusEvent.proposal_id == pid, StatusEvent.to_status == "under_review"))
    assert moves == 1
    assert sum("sent #" in notices(r) for r in results) == 1
    assert await f.vote_count(sessions, pid) + sum("support is only possible" in notices(r) for r in results) == 8


async def test_enter_many_creates_each_person_once_and_keeps_roles(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        await grant_role(s, "telegram", "boss", "official", "transport")
        people = [Account("telegram", "a", "A"), Account("telegram", "b", "B"), Account("telegram", "a", "A again"),
                  Account("slack", "a", "Slack A"), Account("telegram", "boss", "Boss")]
        actors = await enter_many(s, people)
    assert actors[0].citizen_id == actors[2].citizen_id
    assert len({a.citizen_id for a in actors}) == 4
    assert actors[4].may_review("transport") and not actors[0].may_review("transport")
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Identity)) == 4
        assert await s.scalar(select(func.count()).select_from(Citizen)) == 4


async def test_claim_events_reports_only_new_ones(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        assert await claim_events(s, [("telegram", "1"), ("telegram", "2")]) == {("telegram", "1"), ("telegram", "2")}
    async with sessions() as s, s.begin():
        assert await claim_events(s, [("telegram", "2"), ("slack", "2"), ("telegram", "3")]) == {
            ("slack", "2"), ("telegram", "3")}
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Vote)) == 0
