"""Group commit: concurrent events share a transaction, and behave exactly as if applied one by one."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bots.context import BotConfig
from bots.conversation import Conversation
from bots.neutral import ButtonPress, Command, Inbound, Message, Reply, Toast, Where, Who
from core import calls, proposals, votes
from core.citizens import Account, enter_many, grant_role
from core.clock import utcnow
from core.db import Sessions
from core.inbox import claim_events
from core.linking import merge_citizens
from core.models import Citizen, Follow, Identity, InboxEvent, MileageEntry, StatusEvent, Vote
from core.rules import Rules
from tests.dbutil import fresh_database, postgres_url_or_skip
from tests.integration import factories as f
from tests.integration.factories import engine_of


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


async def test_on_postgresql_a_batch_reads_the_same_statements_whatever_its_size(sessions: Sessions) -> None:
    """Batches take everything waiting (up to 64), so the driver must not meet a new statement text, and
    prepare it anew, for each batch size. SQLite prepares nothing on a server: its multi-row RETURNING may
    vary with the size."""
    engine = engine_of(sessions)
    if engine.dialect.name != "postgresql":
        postgres_url_or_skip()
        pytest.skip("PostgreSQL's prepared statements only")
    rules = Rules(vote_threshold=1000)
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    texts: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        texts.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        by_size: dict[int, set[str]] = {}
        first = 0
        for size in (2, 3, 5, 8):
            texts.clear()
            accounts = [Account("telegram", f"s{n}", f"Size {n}") for n in range(first, first + size)]
            first += size
            async with sessions() as s, s.begin():
                assert len(await claim_events(s, [("telegram", a.user_id) for a in accounts])) == size
                actors = await enter_many(s, accounts)
                await votes.vote_many(s, [(actor, pid) for actor in actors], rules)
            by_size[size] = set(texts)
            ids = [actor.citizen_id for actor in actors]
            assert ids == sorted(ids)  # new people's ids in the order they came, as if one by one
            async with sessions() as s:  # and each id is its own person's
                rows = await s.execute(select(Citizen.id, Citizen.display_name).where(Citizen.id.in_(ids)))
                names = {cid: name for cid, name in rows}
            assert [names[cid] for cid in ids] == [a.display_name for a in accounts]
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert by_size[2] == by_size[3] == by_size[5] == by_size[8]
    assert await f.vote_count(sessions, pid) == 18


async def test_claim_events_reports_only_new_ones(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        assert await claim_events(s, [("telegram", "1"), ("telegram", "2")]) == {("telegram", "1"), ("telegram", "2")}
    async with sessions() as s, s.begin():
        assert await claim_events(s, [("telegram", "2"), ("slack", "2"), ("telegram", "3")]) == {
            ("slack", "2"), ("telegram", "3")}
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Vote)) == 0


async def _storm_world(sessions: Sessions) -> tuple[list[Inbound], Rules]:
    """Proposals in every state a press can meet, and presses covering every rule of a vote: new people,
    one person twice, one person from two linked accounts, a follower, the author, a themed call's proposal,
    one under review, one that does not exist, a broken id, a web chat visitor no messenger vouches for
    (refused), one linked to a Telegram account (counted); the last press crosses the threshold."""
    rules = Rules(vote_threshold=12)
    author = await f.citizen(sessions, "author")
    await f.official(sessions, "transport")
    open_pid = await f.proposal(sessions, author)
    closed_pid = await f.under_review(sessions, author)
    follower = await f.citizen(sessions, "follower")
    twin_tg, twin_slack = await f.citizen(sessions, "twin"), await f.citizen(sessions, "twin", platform="slack")
    visitor = await f.citizen(sessions, "visitor", platform="web")
    vouched_tg, vouched_web = await f.citizen(sessions, "vouched"), await f.citizen(sessions, "vouched", platform="web")
    async with sessions() as s, s.begin():
        await proposals.follow(s, follower.actor, open_pid)
        await merge_citizens(s, keep=twin_tg.id, gone=twin_slack.id)
        await merge_citizens(s, keep=vouched_web.id, gone=vouched_tg.id)  # the web person keeps their citizen
        call = await calls.create(s, None, department="transport", title="Cooler bus stops", description="Shade.",
                                  opens_at=utcnow() - timedelta(days=1), closes_at=utcnow() + timedelta(days=9))
        call_pid = (await proposals.submit(s, author.actor, title="Trees at stops", description="Shade for all.",
                                           category="transport", call_id=call.id)).id

    def at(n: int, who: Who, value: object) -> Inbound:
        return Inbound(who.platform, f"eq-{n}", who, Where(who.user_id), ButtonPress("proposal.vote", str(value)))

    def person(p: f.Person) -> Who:
        return Who(p.platform, p.user_id, "", "en")

    presses = [at(n, Who("telegram", f"8{n:03d}", f"New {n}", "en"), open_pid) for n in range(5)]
    presses += [at(10, person(twin_tg), open_pid), at(11, person(twin_slack), open_pid),
                at(12, person(follower), open_pid), at(13, person(author), open_pid),
                at(14, Who("telegram", "8100", "Again", "ko"), open_pid),
                at(15, Who("telegram", "8100", "Again", "ko"), open_pid),
                at(16, Who("telegram", "8200", "Caller", "en"), call_pid),
                at(17, Who("telegram", "8201", "Late", "en"), closed_pid),
                at(18, Who("telegram", "8202", "Lost", "en"), 999),
                at(19, Who("telegram", "8203", "Typo", "en"), "#x"),
                at(20, Who("telegram", "8204", "Kim", "ko"), call_pid),
                at(21, Who("telegram", "8205", "Lee", "en"), open_pid),
                at(23, person(visitor), open_pid), at(24, person(vouched_web), open_pid)]
    presses.append(at(22, Who("telegram", "8206", "Park", "en"), open_pid))  # a batch of its own: 16 + 2 + 1
    return presses, rules


async def _state(sessions: Sessions) -> dict[str, object]:
    """The rows a press can write, people by name (ids may differ: PostgreSQL's sequences skip the values
    of rolled-back inserts)."""
    async with sessions() as s:
        names = {cid: name for cid, name in (await s.execute(select(Citizen.id, Citizen.display_name))).all()}
        assert len(set(names.values())) == len(names)
        mileage = (await s.execute(select(MileageEntry.citizen_id, MileageEntry.act, MileageEntry.points))).all()
        return {
            "votes": sorted((p, names[c]) for p, c in (await s.execute(select(Vote.proposal_id, Vote.citizen_id)))),
            "follows": sorted((p, names[c]) for p, c in (await s.execute(select(Follow.proposal_id,
                                                                                 Follow.citizen_id)))),
            "mileage": sorted((names[c], act.rsplit(":", 3)[0] if act.startswith("vote:") else act, points)
                              for c, act, points in mileage),
            "statuses": sorted((await s.execute(select(StatusEvent.proposal_id, StatusEvent.to_status))
                                ).all()),
            "inbox": await s.scalar(select(func.count()).select_from(InboxEvent)),
        }


def _said(replies: list[Reply] | None) -> list[str]:
    return [r.text if isinstance(r, Toast) else "".join(s.text for s in r.text)
            for r in replies or [] if isinstance(r, Toast | Message)]


async def test_batched_presses_apply_exactly_the_rules_of_presses_one_by_one(db_url: str) -> None:
    """The storm path (a batch in one transaction, bots/proposals/support.vote_presses and core.votes.vote_many)
    against the general one (each press alone) on the same inputs: the same answers, the same rows."""
    runs = []
    for batched in (False, True):
        engine, sessions = await fresh_database(db_url)
        try:
            presses, rules = await _storm_world(sessions)
            conversation = Conversation(sessions, BotConfig(rules, "https://oasis.test", "en"))
            if batched:
                answers = await asyncio.gather(*(conversation(p) for p in presses))
            else:
                answers = [await conversation(p) for p in presses]
            runs.append(([_said(a) for a in answers], await _state(sessions)))
        finally:
            await engine.dispose()
    (one_by_one, rows_alone), (batched_answers, rows_batched) = runs
    assert batched_answers == one_by_one
    assert rows_batched == rows_alone
    said = [" ".join(a) for a in one_by_one]
    assert "You already support" in said[6] and said[10] != said[9]  # the linked twin; the same person again
    assert "themed call" in said[11] and "only possible while a proposal is open" in said[12]
    assert "There is no proposal #999" in said[13] and "sent #" in said[-1]
    assert "Support counts only from people with a messenger account" in said[17]  # the unlinked visitor
    assert "You support #" in said[18]  # the visitor linked to Telegram
    voters = {name for _, name in rows_alone["votes"]}  # type: ignore[attr-defined]
    assert "vouched" in voters and "visitor" not in voters
