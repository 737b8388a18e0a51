"""Domain events and what follows them (core/events.py, core/reactions.py): reactions are stored with the
change or not at all; follow-ups run after the commit in their own transaction and report what they caused."""

from __future__ import annotations

import dataclasses
import inspect
import logging

import pytest

from core import events, linking, proposals, reactions, room, votes
from core.db import Sessions
from core.events import (
    AccountsMerged,
    DiscussionOpened,
    EnteredReview,
    ProposalSubmitted,
    RoomMessagePosted,
    StatusChanged,
    Supported,
)
from core.rules import Rules
from tests.integration import factories as f

THRESHOLD_2 = Rules(vote_threshold=2, review_days=14)


def test_every_event_has_a_row_in_the_table() -> None:
    """An event nobody reacts to must say so in the table (an empty row), never be missing from it."""
    published = {cls for _, cls in inspect.getmembers(events, inspect.isclass)
                 if dataclasses.is_dataclass(cls) and cls.__module__ == events.__name__ and cls is not events.Event}
    assert published == set(reactions.REACTIONS)
    assert set(reactions.FOLLOW_UPS) <= published


async def test_a_use_case_publishes_and_its_reactions_are_in_the_same_transaction(sessions: Sessions) -> None:
    author, other = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    async with sessions() as s:
        async with s.begin():
            comment = await room.comment(s, other.actor, pid, "Yes!")
        published = events.take(s)
    thread = published[0]
    assert isinstance(thread, DiscussionOpened) and thread.proposal_id == pid  # its first comment opened it
    assert published[1:] == [RoomMessagePosted(comment.id, thread.thread_id, pid, other.id, None)]
    assert [m.kind for m in await f.outbox(sessions)] == ["room_digest"]

    async with sessions() as s:
        with pytest.raises(RuntimeError):
            async with s.begin():
                await room.comment(s, other.actor, pid, "Undone")
                raise RuntimeError("roll back")
    assert len(await f.outbox(sessions)) == 1  # the rolled-back comment's notice went with it


async def test_submitting_publishes_the_new_proposal(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    async with sessions() as s:
        async with s.begin():
            made = await proposals.submit(s, author.actor, title="Shade", description="Trees.", category="transport")
        assert events.take(s) == [ProposalSubmitted(made.id, author.id)]


async def test_the_vote_that_reaches_the_threshold_sends_it_to_review_in_its_follow_up(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    await f.official(sessions, "transport")
    pid = await f.proposal(sessions, author)
    first, second = await f.citizen(sessions), await f.citizen(sessions)
    published = []
    for voter in (first, second):
        async with sessions() as s:
            async with s.begin():
                await votes.vote(s, voter.actor, pid, THRESHOLD_2)
            published += events.take(s)
    assert published == [Supported(pid, first.id, may_enter_review=True),
                         Supported(pid, second.id, may_enter_review=True)]
    assert (await f.get(sessions, pid)).status == "open"  # the vote itself never moves it

    caused = await reactions.follow_up(sessions, published, THRESHOLD_2)
    assert [type(e) for e in caused] == [StatusChanged, EnteredReview, DiscussionOpened]
    entered = caused[1]
    assert isinstance(entered, EnteredReview) and entered.sent_by == first.id  # the first check moved it
    assert (await f.get(sessions, pid)).status == "under_review"
    assert len(await f.outbox(sessions, kind="review_queued")) == 1
    assert await reactions.follow_up(sessions, published, THRESHOLD_2) == []  # checked again: nothing to do


async def test_a_vote_far_from_the_threshold_needs_no_follow_up(sessions: Sessions) -> None:
    author, voter = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    far = Rules(vote_threshold=1000, review_days=14)
    async with sessions() as s:
        async with s.begin():
            await votes.vote(s, voter.actor, pid, far)
        published = events.take(s)
    assert published == [Supported(pid, voter.id, may_enter_review=False)]
    assert await reactions.follow_up(sessions, published, far) == []


async def test_a_merge_checks_the_proposals_its_votes_were_on(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    on_telegram, on_slack = await f.citizen(sessions), await f.citizen(sessions, platform="slack")
    for voter in (on_telegram, on_slack):
        await f.vote(sessions, voter, pid, THRESHOLD_2)  # two accounts, one person: not yet two people
    async with sessions() as s:
        async with s.begin():
            await linking.merge_citizens(s, keep=on_telegram.id, gone=on_slack.id)
        published = events.take(s)
    assert published == [AccountsMerged(on_telegram.id, (pid,))]
    assert await reactions.follow_up(sessions, published, THRESHOLD_2) == []
    assert (await f.get(sessions, pid)).status == "open"  # one person's support counts once


async def test_a_failing_follow_up_is_logged_and_the_rest_still_run(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    author = await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    voters = [await f.citizen(sessions) for _ in range(2)]
    for voter in voters:
        await f.vote(sessions, voter, pid, THRESHOLD_2)
    calls: list[int] = []

    async def broken(session: object, event: Supported, rules: Rules) -> None:
        calls.append(event.citizen_id)
        if len(calls) == 1:
            raise RuntimeError("boom")
        await reactions.enter_review_if_due(session, event, rules)  # type: ignore[arg-type]

    monkeypatch.setitem(reactions.FOLLOW_UPS, Supported, (reactions.FollowUp(broken),))
    with caplog.at_level(logging.ERROR, logger="core.reactions"):
        caused = await reactions.follow_up(sessions, [Supported(pid, v.id, True) for v in voters], THRESHOLD_2)
    assert calls == [v.id for v in voters]
    assert "follow-up broken" in caplog.text
    assert any(isinstance(e, EnteredReview) and e.sent_by == voters[1].id for e in caused)
