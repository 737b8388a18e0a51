"""Comments, follows, hidden proposals and transitions (PRODUCT.md §2, §3),
on SQLite and PostgreSQL, through the real schema."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from core import proposals, room, votes
from core.db import Sessions
from core.errors import Invalid, InvalidState, NotFound
from core.models import RoomMessage
from core.rules import COMMENT_MAX, Rules
from core.statuses import Status
from tests.integration import factories as f

THRESHOLD_5 = Rules(vote_threshold=5, review_days=14)


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


# --- comments -----------------------------------------------------------------------------------------


async def test_comment_is_added_and_the_author_is_told(sessions: Sessions) -> None:
    author, other = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        comment = await room.comment(s, other.actor, pid, "  Great idea!\x00  ", platform="slack")
        cid = comment.id
    async with sessions() as s:
        stored = await s.get(RoomMessage, cid)
        assert stored is not None
        assert (stored.body, stored.citizen_id, stored.origin, stored.hidden_at, stored.seq) == \
            ("Great idea!", other.id, "slack", None, 1)
    [notice] = await f.outbox(sessions, kind="room_digest")  # told at the end of the hour, with the rest
    assert notice.citizen_id == author.id
    since = notice.params["since"]
    assert notice.event_key == f"room-digest:{pid}:{since}"
    assert notice.params["id"] == pid and notice.params["title"] == "More bike lanes"
    assert notice.next_attempt_at == datetime.fromisoformat(notice.params["until"])


async def test_the_author_is_not_told_of_their_own_comment(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        await room.comment(s, author.actor, pid, "Some more detail.")
    assert await f.outbox(sessions) == []


@pytest.mark.parametrize(("body", "code"), [("", "comment_empty"), (" \n\x00 ", "comment_empty"),
                                            ("c" * (COMMENT_MAX + 1), "comment_too_long")])
async def test_bad_comments_are_refused(sessions: Sessions, body: str, code: str) -> None:
    author, other = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    with pytest.raises(Invalid) as info:
        async with sessions() as s, s.begin():
            await room.comment(s, other.actor, pid, body)
    assert info.value.code == code
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(RoomMessage)) == 0
    assert await f.outbox(sessions) == []


async def test_no_comments_on_a_withdrawn_proposal(sessions: Sessions) -> None:
    author, other = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        await proposals.withdraw(s, author.actor, pid)
    with pytest.raises(InvalidState) as info:
        async with sessions() as s, s.begin():
            await room.comment(s, other.actor, pid, "Too late?")
    assert info.value.code == "comment_closed"


async def test_comments_continue_under_review(sessions: Sessions) -> None:
    author, other = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.under_review(sessions, author)
    async with sessions() as s, s.begin():
        await room.comment(s, other.actor, pid, "Still relevant.")


async def test_a_hidden_proposal_is_not_found(sessions: Sessions) -> None:
    author, moderator = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        p = await proposals.get_proposal(s, pid, for_update=True)
        await proposals.record_transition(s, p, Status.HIDDEN, actor_id=moderator.id, reason_text="spam")
    for action in ("vote", "comment", "follow"):
        with pytest.raises(NotFound):
            async with sessions() as s, s.begin():
                if action == "vote":
                    await votes.vote(s, moderator.actor, pid, THRESHOLD_5)
                elif action == "comment":
                    await room.comment(s, moderator.actor, pid, "hi")
                else:
                    await proposals.follow(s, moderator.actor, pid)


async def test_follow_and_unfollow(sessions: Sessions) -> None:
    author, fan = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        assert await proposals.follow(s, fan.actor, pid)
        assert not await proposals.follow(s, fan.actor, pid)
    assert await f.followers(sessions, pid) == {author.id, fan.id}
    async with sessions() as s, s.begin():
        assert await proposals.unfollow(s, fan.actor, pid)
        assert not await proposals.unfollow(s, fan.actor, pid)
    assert await f.followers(sessions, pid) == {author.id}


async def test_a_bad_transition_is_refused(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    with pytest.raises(InvalidState) as info:
        async with sessions() as s, s.begin():
            p = await proposals.get_proposal(s, pid, for_update=True)
            await proposals.record_transition(s, p, Status.ADOPTED, actor_id=author.id)
    assert info.value.code == "bad_transition"
    assert info.value.params == {"status": "open", "target": "adopted", "id": pid}
