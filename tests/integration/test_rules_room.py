"""The dialogue room's rules (core/room.py), on SQLite and PostgreSQL: one numbered discussion per
proposal, a copy per other surface written with the message, re-deliveries taken once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import moderation, proposals, room
from core.db import Sessions
from core.errors import InvalidState
from core.models import OutboxMessage, RoomCopy, RoomMessage
from core.outbox import claim_due
from scheduler.dispatch import OutboxDispatcher
from tests.clock import Clock
from tests.fakes import FakeSender
from tests.integration import factories as f

TG_ROOM, SLACK_ROOM = "-1001", "CROOM"


async def rooms(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        await room.set_destination(s, "telegram", TG_ROOM)
        await room.set_destination(s, "slack", SLACK_ROOM)


async def test_a_first_comment_opens_the_discussion_on_each_surface_and_is_mirrored(sessions: Sessions) -> None:
    await rooms(sessions)
    author, other = await f.citizen(sessions, "author"), await f.citizen(sessions, "Mina")
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        first = await room.comment(s, other.actor, pid, "First!", platform="telegram")
        second = await room.comment(s, other.actor, pid, "Second.", platform="telegram")
        assert (first.seq, second.seq) == (1, 2)
    rows = await f.outbox(sessions)
    by_kind = [(r.kind, r.channel_platform) for r in rows if r.channel_platform]
    assert by_kind == [("room_open", "slack"), ("room_open", "telegram"), ("room_post", "slack"),
                       ("room_post", "telegram"), ("room_post", "slack"), ("room_post", "telegram")]
    post = next(r for r in rows if r.kind == "room_post")
    assert post.params == {"message_id": first.id, "thread_id": first.thread_id, "seq": 1}  # shown as it is then
    assert [r.kind for r in rows if r.citizen_id == author.id] == ["room_digest"]  # one an hour at most
    async with sessions() as s:
        copies = (await s.scalars(select(RoomCopy).order_by(RoomCopy.id))).all()
    assert [(c.platform, c.platform_message_id, c.origin) for c in copies] == [
        ("slack", None, False), ("telegram", None, False)] * 2


async def test_a_message_written_in_a_room_is_not_mirrored_back_and_is_taken_once(sessions: Sessions) -> None:
    await rooms(sessions)
    author = await f.citizen(sessions, "author")
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        thread = await room.discussion(s, pid)
        await room.remember_place(s, thread.id, "slack", SLACK_ROOM, "1700.0001")
    person = await f.citizen(sessions, "Mina", platform="slack")
    written = room.Written("slack", SLACK_ROOM, "1700.0002")
    async with sessions() as s, s.begin():
        found = await room.thread_at(s, "slack", SLACK_ROOM, "1700.0001")
        assert found is not None and found.proposal_id == pid
        posted = await room.post(s, person.actor, found, "From Slack", platform="slack", written=written)
        assert posted is not None
    async with sessions() as s, s.begin():  # Slack delivers it again under a new event id
        found = await room.thread_at(s, "slack", SLACK_ROOM, "1700.0001")
        assert found is not None
        assert await room.post(s, person.actor, found, "From Slack", platform="slack", written=written) is None
    posts = [r for r in await f.outbox(sessions) if r.kind == "room_post"]
    assert [r.channel_platform for r in posts] == ["telegram"]
    async with sessions() as s:
        assert await room.copy_of(s, "slack", SLACK_ROOM, "1700.0002") == posted.id
        answer = await room.post(s, person.actor, found, "Answering", platform="slack",
                                 written=room.Written("slack", SLACK_ROOM, "1700.0003", reply_to="1700.0002"))
        assert answer is not None and answer.reply_to_id == posted.id and answer.seq == 2


async def test_places_that_are_not_the_rooms_are_none_of_its_business(sessions: Sessions) -> None:
    await rooms(sessions)
    async with sessions() as s, s.begin():
        assert await room.thread_at(s, "telegram", "-1009", None) is None  # another group
        assert await room.thread_at(s, "telegram", TG_ROOM, "77") is None  # a topic people made themselves
        lobby = await room.thread_at(s, "telegram", TG_ROOM, None)
        assert lobby is not None and lobby.key == "lobby" and lobby.proposal_id is None


async def test_a_withdrawn_proposals_discussion_takes_no_more_messages(sessions: Sessions) -> None:
    author = await f.citizen(sessions, "author")
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        await room.comment(s, author.actor, pid, "Before", platform="console")
    await f.withdraw(sessions, author, pid)
    with pytest.raises(InvalidState) as info:
        async with sessions() as s, s.begin():
            await room.comment(s, author.actor, pid, "After", platform="console")
    assert info.value.code == "comment_closed"


async def test_no_room_configured_means_stored_but_sent_nowhere(sessions: Sessions) -> None:
    author, other = await f.citizen(sessions, "author"), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        await room.comment(s, other.actor, pid, "Hello", platform="telegram")
    assert [r.kind for r in await f.outbox(sessions)] == ["room_digest"]
    async with sessions() as s:
        assert len((await s.scalars(select(RoomMessage))).all()) == 1
        assert (await s.scalars(select(OutboxMessage).where(OutboxMessage.channel_platform.is_not(None)))).all() == []


async def test_a_surface_that_no_longer_has_a_room_stops_getting_copies(sessions: Sessions) -> None:
    await rooms(sessions)
    async with sessions() as s, s.begin():
        await room.set_destination(s, "telegram", None)
        assert [d.platform for d in await room.destinations(s)] == ["slack"]
        await room.set_destination(s, "slack", "CNEW")
        assert await room.destination(s, "slack") == "CNEW"


async def test_followers_get_one_digest_an_hour_counting_what_others_said(sessions: Sessions) -> None:
    author, mina, jun = [await f.citizen(sessions, n) for n in ("author", "Mina", "Jun")]
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        await proposals.follow(s, mina.actor, pid)
        for who, text in ((mina, "one"), (jun, "two"), (jun, "three"), (author, "four")):
            await room.comment(s, who.actor, pid, text, platform="telegram")
        hidden = await room.comment(s, jun.actor, pid, "spam", platform="telegram")
        hidden.hidden_at = hidden.created_at  # a moderator took it away before the hour ended
    digests = await f.outbox(sessions, kind="room_digest")
    assert sorted(r.citizen_id for r in digests) == sorted([author.id, mina.id])  # once each; Jun follows not
    clock = Clock()
    sender = FakeSender()
    dispatcher = OutboxDispatcher(sessions, {"telegram": sender}, default_language="en", public_url="https://o.test",
                                  clock=clock)
    assert await dispatcher.run_once() == 0  # due at the end of the hour
    clock.advance(3601)
    assert await dispatcher.run_once() == 2
    assert "3 new messages in the discussion of #1" in " ".join(sender.texts(author.user_id))  # not its own
    assert "3 new messages in the discussion of #1" in " ".join(sender.texts(mina.user_id))
    await dispatcher.close()


async def test_a_hide_is_claimed_before_the_sends_queued_ahead_of_it(sessions: Sessions) -> None:
    """Deletes go before new sends: a hidden message leaves every surface before the room shows more."""
    await rooms(sessions)
    author, other = await f.citizen(sessions, "author"), await f.citizen(sessions, "Mina")
    moderator = await f.grant(sessions, await f.citizen(sessions, "mod"), "moderator")
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        first = await room.comment(s, other.actor, pid, "Buy pills", platform="telegram")
        for n in range(3):
            await room.comment(s, other.actor, pid, f"more {n}", platform="telegram")
    async with sessions() as s, s.begin():
        await moderation.hide(s, moderator.actor, first.id, "spam")
    async with sessions() as s, s.begin():
        claimed = await claim_due(s, limit=100)
    kinds = [r.kind for r in claimed if r.channel_platform]
    assert kinds[:2] == ["room_delete", "room_delete"]
    assert sorted(kinds[2:]) == sorted(["room_open"] * 2 + ["room_post"] * 8)
    assert {r.params["message_id"] for r in claimed[:2]} == {first.id}
