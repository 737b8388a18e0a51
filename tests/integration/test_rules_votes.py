"""Support and the threshold that sends a proposal to review (PRODUCT.md §2),
on SQLite and PostgreSQL, through the real schema."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core import proposals, tallies, votes
from core.clock import utcnow
from core.db import Sessions
from core.errors import InvalidState, NotFound
from core.rules import Rules
from tests.integration import factories as f

THRESHOLD_5 = Rules(vote_threshold=5, review_days=14)


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


# --- votes --------------------------------------------------------------------------------------------


async def test_voting_twice_counts_once_and_the_voter_follows(sessions: Sessions) -> None:
    author, voter = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    first = await f.vote(sessions, voter, pid, THRESHOLD_5)
    assert (first.changed, first.count, first.needed) == (True, 1, 4)
    second = await f.vote(sessions, voter, pid, THRESHOLD_5)
    assert (second.changed, second.count, second.needed) == (False, 1, 4)
    assert not second.may_enter_review  # nothing changed, nothing to check
    assert await f.vote_count(sessions, pid) == 1
    assert await f.followers(sessions, pid) == {author.id, voter.id}


async def test_unvote_removes_the_vote(sessions: Sessions) -> None:
    author, a, b = await f.citizen(sessions), await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    await f.vote(sessions, a, pid, THRESHOLD_5)
    await f.vote(sessions, b, pid, THRESHOLD_5)
    async with sessions() as s, s.begin():
        result = await votes.unvote(s, a.actor, pid, THRESHOLD_5)
    assert (result.changed, result.count, result.needed) == (True, 1, 4)
    assert await f.vote_count(sessions, pid) == 1
    async with sessions() as s, s.begin():
        again = await votes.unvote(s, a.actor, pid, THRESHOLD_5)
    assert (again.changed, again.count) == (False, 1)
    # Voting again after taking it back counts again.
    assert (await f.vote(sessions, a, pid, THRESHOLD_5)).changed


async def test_vote_on_a_missing_proposal_is_not_found(sessions: Sessions) -> None:
    voter = await f.citizen(sessions)
    with pytest.raises(NotFound) as info:
        await f.vote(sessions, voter, 4242, THRESHOLD_5)
    assert info.value.code == "proposal_not_found"


async def test_vote_and_unvote_only_while_open(sessions: Sessions) -> None:
    author, voter, late = await f.citizen(sessions), await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.under_review(sessions, author, voters=[voter])
    with pytest.raises(InvalidState) as info:
        await f.vote(sessions, late, pid, THRESHOLD_5)
    assert info.value.code == "vote_not_open"
    assert info.value.params["status"] == "under_review"
    with pytest.raises(InvalidState) as un:
        async with sessions() as s, s.begin():
            await votes.unvote(s, voter.actor, pid, THRESHOLD_5)
    assert un.value.code == "unvote_not_open"
    assert await f.vote_count(sessions, pid) == 1


async def test_vote_on_a_withdrawn_proposal_is_refused(sessions: Sessions) -> None:
    author, voter = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        await proposals.withdraw(s, author.actor, pid)
    with pytest.raises(InvalidState) as info:
        await f.vote(sessions, voter, pid, THRESHOLD_5)
    assert info.value.code == "vote_not_open"


# --- the threshold ------------------------------------------------------------------------------------


async def test_the_fifth_vote_sends_the_proposal_to_review(sessions: Sessions) -> None:
    author = await f.citizen(sessions, "author")
    transport = await f.official(sessions, "transport")
    welfare = await f.official(sessions, "welfare")
    pid = await f.proposal(sessions, author, category="transport")
    voters = [await f.citizen(sessions, f"voter {i}") for i in range(5)]

    for i, voter in enumerate(voters[:4]):
        result = await f.vote(sessions, voter, pid, THRESHOLD_5)
        assert (result.count, result.needed) == (i + 1, 4 - i)
        assert not await f.start_review(sessions, pid, THRESHOLD_5)
    assert (await f.get(sessions, pid)).status == "open"
    assert await f.outbox(sessions) == []

    fifth = await f.vote(sessions, voters[4], pid, THRESHOLD_5)
    assert (fifth.changed, fifth.count, fifth.needed, fifth.may_enter_review) == (True, 5, 0, True)
    assert (await f.get(sessions, pid)).status == "open"  # the vote itself never moves it

    before = utcnow()
    assert await f.start_review(sessions, pid, THRESHOLD_5)
    p = await f.get(sessions, pid)
    assert p.status == "under_review"
    assert p.review_deadline is not None
    expected = before + timedelta(days=14)
    assert abs(p.review_deadline - expected) <= timedelta(minutes=1)

    moved = [e for e in await f.events(sessions, pid) if e.to_status == "under_review"]
    assert len(moved) == 1
    assert (moved[0].from_status, moved[0].actor_id) == ("open", None)

    changed = await f.outbox(sessions, kind="status_changed")
    assert f.recipients(changed) == sorted([author.id, *(v.id for v in voters)])
    assert {r.event_key for r in changed} == {f"status:{moved[0].id}"}
    for row in changed:
        assert row.status == "pending"
        assert row.params["id"] == pid
        assert (row.params["from"], row.params["to"]) == ("open", "under_review")
        assert row.params["title"] == "More bike lanes"
        assert row.params["deadline"] == p.review_deadline.isoformat(timespec="minutes")

    queued = await f.outbox(sessions, kind="review_queued")
    assert f.recipients(queued) == [transport.id]  # not the welfare official
    assert welfare.id not in f.recipients(await f.outbox(sessions))
    assert queued[0].params["department"] == "transport"
    assert queued[0].params["id"] == pid

    # Once moved, another call changes nothing and writes nothing.
    rows_before = len(await f.outbox(sessions))
    assert not await f.start_review(sessions, pid, THRESHOLD_5)
    assert len(await f.outbox(sessions)) == rows_before
    assert len(await f.events(sessions, pid)) == 2


async def test_review_days_set_the_deadline(sessions: Sessions) -> None:
    author, voter = await f.citizen(sessions), await f.citizen(sessions)
    before = utcnow()
    pid = await f.under_review(sessions, author, voters=[voter], review_days=3)
    deadline = (await f.get(sessions, pid)).review_deadline
    assert deadline is not None
    assert abs(deadline - (before + timedelta(days=3))) <= timedelta(minutes=1)


async def test_start_review_is_atomic_with_its_notifications(sessions: Sessions) -> None:
    author, voter = await f.citizen(sessions), await f.citizen(sessions)
    await f.official(sessions, "transport")
    rules = Rules(vote_threshold=1)
    pid = await f.proposal(sessions, author)
    await f.vote(sessions, voter, pid, rules)
    with pytest.raises(Boom):
        async with sessions() as s, s.begin():
            assert await votes.start_review_if_due(s, pid, rules)
            raise Boom
    assert (await f.get(sessions, pid)).status == "open"
    assert (await f.get(sessions, pid)).review_deadline is None
    assert len(await f.events(sessions, pid)) == 1
    assert await f.outbox(sessions) == []
    # and the sweep finds it again
    async with sessions() as s:
        assert await votes.due_for_review(s, rules) == [pid]


async def test_due_for_review_finds_proposals_that_reached_the_threshold_but_never_moved(
    sessions: Sessions,
) -> None:
    author = await f.citizen(sessions)
    people = [await f.citizen(sessions) for _ in range(5)]
    enough = await f.proposal(sessions, author, title="enough")
    too_few = await f.proposal(sessions, author, title="too few")
    moved = await f.proposal(sessions, author, title="moved")
    for person in people:
        await f.vote(sessions, person, enough, THRESHOLD_5)
        await f.vote(sessions, person, moved, THRESHOLD_5)
    for person in people[:4]:
        await f.vote(sessions, person, too_few, THRESHOLD_5)
    assert await f.start_review(sessions, moved, THRESHOLD_5)

    for folded in (False, True):  # the votes not yet folded into the tallies (core/tallies.py), then folded
        if folded:
            async with sessions() as s, s.begin():
                assert await tallies.fold(s) > 0
        async with sessions() as s:
            assert await votes.due_for_review(s, THRESHOLD_5) == [enough]
            assert sorted(await votes.due_for_review(s, Rules(vote_threshold=4))) == sorted([enough, too_few])
            assert await votes.due_for_review(s, Rules(vote_threshold=6)) == []

    # The sweep then moves it.
    for pid in [enough]:
        assert await f.start_review(sessions, pid, THRESHOLD_5)
    async with sessions() as s:
        assert await votes.due_for_review(s, THRESHOLD_5) == []


async def test_concurrent_votes_then_concurrent_settles_move_it_exactly_once(sessions: Sessions) -> None:
    author = await f.citizen(sessions, "author")
    await f.official(sessions, "transport")
    pid = await f.proposal(sessions, author)
    voters = [await f.citizen(sessions, f"voter {i}") for i in range(10)]

    results = await asyncio.gather(*(f.vote(sessions, v, pid, THRESHOLD_5) for v in voters))
    assert all(r.changed for r in results)
    # Under concurrency a voter may see fewer votes than were cast (never more, never zero)...
    assert all(1 <= r.count <= 10 for r in results)
    # ...so every vote this near the threshold asks its caller to settle.
    assert all(r.may_enter_review for r in results)

    moved = await asyncio.gather(*(f.start_review(sessions, pid, THRESHOLD_5) for _ in voters))
    assert moved.count(True) == 1

    assert (await f.get(sessions, pid)).status == "under_review"
    assert await f.vote_count(sessions, pid) == 10
    to_review = [e for e in await f.events(sessions, pid) if e.to_status == "under_review"]
    assert len(to_review) == 1
    assert len(await f.outbox(sessions, kind="status_changed")) == 11  # author + 10 voters, once each
    assert len(await f.outbox(sessions, kind="review_queued")) == 1


async def test_concurrent_vote_and_settle_race_moves_it_exactly_once(sessions: Sessions) -> None:
    """The real flow: each voter votes, commits, then settles if told to; all ten at once."""
    author = await f.citizen(sessions, "author")
    pid = await f.proposal(sessions, author)
    voters = [await f.citizen(sessions, f"voter {i}") for i in range(10)]

    async def vote_then_settle(voter: f.Person) -> tuple[str, bool]:
        try:
            result = await f.vote(sessions, voter, pid, THRESHOLD_5)
        except InvalidState as error:
            assert error.code == "vote_not_open"
            return "refused", False
        moved = await f.start_review(sessions, pid, THRESHOLD_5) if result.may_enter_review else False
        return "counted", moved

    outcomes = await asyncio.gather(*(vote_then_settle(v) for v in voters))
    assert [moved for _, moved in outcomes].count(True) == 1
    counted = sum(1 for what, _ in outcomes if what == "counted")
    assert 5 <= counted <= 10
    assert await f.vote_count(sessions, pid) == counted
    assert (await f.get(sessions, pid)).status == "under_review"
    assert len([e for e in await f.events(sessions, pid) if e.to_status == "under_review"]) == 1
    # Exactly one notice per follower for the one transition.
    changed = await f.outbox(sessions, kind="status_changed")
    assert len(changed) == len({r.citizen_id for r in changed})
