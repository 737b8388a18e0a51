"""The dialogue room (시민대화방): one discussion per proposal, and the Lobby, held on every surface at once.

The database is the source of truth: each utterance is one `RoomMessage`, numbered in its thread, and
each surface holds copies of it (`RoomCopy`), which the outbox writes (core/reactions.py). A message
always goes platform → here → every other surface, never platform → platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.citizens import Actor
from core.clock import utcnow
from core.errors import Forbidden, InvalidState, NotFound
from core.events import DiscussionOpened, RoomMessageChanged, RoomMessagePosted, publish
from core.models import Proposal, RoomCopy, RoomDestination, RoomMessage, RoomPlace, RoomThread
from core.proposals import HIDDEN_FROM_DISCUSSION, get_proposal
from core.rules import COMMENT_MAX, checked_text
from core.statuses import Role
from core.upsert import insert_ignore

LOBBY = "lobby"
FLOODED = "flood"  # hidden_reason of a message held back by the flood limits (a moderator may release it)

Flood = tuple[tuple[int, float], ...]


def thread_key(proposal_id: int) -> str:
    return f"p{proposal_id}"


@dataclass(frozen=True, slots=True)
class Written:
    """Where a room message was written, when it was written in a room (not in a private chat): its own
    copy, so that edits, deletes and replies on that surface find it, and so it is not mirrored back."""

    platform: str
    chat_id: str
    message_id: str
    reply_to: str | None = None
    """The platform's id of the message it answers, if any."""


async def discussion(session: AsyncSession, proposal_id: int) -> RoomThread:
    """The proposal's thread, opened (and announced to every surface) the first time it is needed: the
    first comment, a `/room <id>`, or the proposal entering review."""
    proposal = await get_proposal(session, proposal_id)
    key = thread_key(proposal.id)
    if await insert_ignore(session, RoomThread, key=key, proposal_id=proposal.id, last_seq=0, created_at=utcnow()):
        thread = await _thread(session, key)
        await publish(session, DiscussionOpened(proposal.id, thread.id, proposal.title))
        return thread
    return await _thread(session, key)


async def close(session: AsyncSession, proposal_id: int) -> RoomThread | None:
    """A decided or withdrawn proposal's discussion takes no more messages; None if it never opened."""
    thread = await session.scalar(select(RoomThread).where(RoomThread.key == thread_key(proposal_id)))
    if thread is None or thread.closed_at is not None:
        return None
    thread.closed_at = utcnow()
    await session.flush()
    return thread


async def places(session: AsyncSession, thread_id: int) -> list[RoomPlace]:
    return list((await session.scalars(select(RoomPlace).where(RoomPlace.thread_id == thread_id))).all())


async def lobby(session: AsyncSession) -> RoomThread:
    await insert_ignore(session, RoomThread, key=LOBBY, proposal_id=None, last_seq=0, created_at=utcnow())
    return await _thread(session, LOBBY)


async def _thread(session: AsyncSession, key: str) -> RoomThread:
    thread = await session.scalar(select(RoomThread).where(RoomThread.key == key))
    assert thread is not None, f"room thread {key} vanished within its own transaction"
    return thread


async def comment(session: AsyncSession, actor: Actor, proposal_id: int, body: str, *,
                  platform: str = "", flood: Flood = ()) -> RoomMessage:
    """`/comment <id> <text>` from a private chat: into the proposal's discussion, on every surface."""
    posted = await post(session, actor, await discussion(session, proposal_id), body, platform=platform,
                        flood=flood)
    assert posted is not None  # only a message written in a room can be a re-delivery
    return posted


async def post(session: AsyncSession, actor: Actor, thread: RoomThread, body: str, *, platform: str,
               written: Written | None = None, flood: Flood = ()) -> RoomMessage | None:
    """Store one message in `thread` with the next sequence number and let every other surface have it.

    Over a `flood` limit (n messages in s seconds, counted per citizen, so across linked accounts) it is
    kept but held back: not mirrored (`hidden_reason` FLOODED). Moderators are exempt. Returns None for a
    message already stored: a platform that re-delivers it under a new event id (Slack does) must not
    make it twice."""
    proposal = await session.get(Proposal, thread.proposal_id) if thread.proposal_id is not None else None
    if proposal is not None and (proposal.status in HIDDEN_FROM_DISCUSSION or thread.closed_at is not None):
        raise InvalidState("comment_closed", id=proposal.id, status=proposal.status)
    text = checked_text(body, "comment", COMMENT_MAX)
    reply_to_id: int | None = None
    if written is not None:
        if await copy_of(session, written.platform, written.chat_id, written.message_id) is not None:
            return None
        if written.reply_to:
            reply_to_id = await copy_of(session, written.platform, written.chat_id, written.reply_to)
    seq = await session.scalar(
        update(RoomThread).where(RoomThread.id == thread.id).values(last_seq=RoomThread.last_seq + 1)
        .returning(RoomThread.last_seq)
    )
    now = utcnow()
    held = await _over_limit(session, actor, flood, now)
    longest = max((seconds for _count, seconds in flood), default=0.0)
    first_held = held and await held_since(session, actor.citizen_id, now - timedelta(seconds=longest)) == 0
    message = RoomMessage(thread_id=thread.id, seq=int(seq or 0), citizen_id=actor.citizen_id, origin=platform,
                          body=text, reply_to_id=reply_to_id, created_at=now,
                          hidden_at=now if held else None, hidden_reason=FLOODED if held else None)
    session.add(message)
    await session.flush()
    if written is not None:
        session.add(RoomCopy(message_id=message.id, platform=written.platform, chat_id=written.chat_id, part=0,
                             platform_message_id=written.message_id, origin=True, created_at=message.created_at))
        await session.flush()
    await publish(session, RoomMessagePosted(
        message.id, thread.id, thread.proposal_id, actor.citizen_id,
        (written.platform, written.chat_id) if written is not None else None, held=held,
        first_held=first_held))
    return message


async def _over_limit(session: AsyncSession, actor: Actor, flood: Flood, now: datetime) -> bool:
    if not flood or actor.is_admin or actor.has(Role.MODERATOR):
        return False
    for count, seconds in flood:
        recent = await session.scalar(select(func.count()).where(
            RoomMessage.citizen_id == actor.citizen_id, RoomMessage.created_at > now - timedelta(seconds=seconds)))
        if int(recent or 0) >= count:
            return True
    return False


async def held_since(session: AsyncSession, citizen_id: int, since: datetime) -> int:
    """How many of a person's messages were held back by the flood limits since then."""
    return int(await session.scalar(select(func.count()).where(
        RoomMessage.citizen_id == citizen_id, RoomMessage.hidden_reason == FLOODED,
        RoomMessage.created_at >= since)) or 0)


async def edit(session: AsyncSession, actor: Actor, platform: str, chat_id: str, platform_message_id: str,
               body: str) -> RoomMessage | None:
    """The author changed their message where they wrote it; None when there is nothing to show anew (not
    a room message, someone else's, gone, or the same text: Slack reports a link preview as a change)."""
    message = await _own(session, actor, platform, chat_id, platform_message_id)
    if message is None:
        return None
    text = checked_text(body, "comment", COMMENT_MAX)
    if text == message.body:
        return None
    message.body, message.edited_at = text, utcnow()
    await session.flush()
    await publish(session, RoomMessageChanged(message.id, deleted=False, written_in=(platform, chat_id)))
    return message


async def delete(session: AsyncSession, actor: Actor, message_id: int, *,
                 written_in: tuple[str, str] | None = None) -> RoomMessage:
    """The author takes their message back: every copy goes. `written_in`: where they deleted it
    themselves (Slack tells us), which needs nothing more."""
    message = await session.get(RoomMessage, message_id)
    if message is None or message.deleted_at is not None:
        raise NotFound("room_message_not_found", id=message_id)
    if message.citizen_id != actor.citizen_id:
        raise Forbidden("not_your_message", id=message_id)
    message.deleted_at = utcnow()
    await session.flush()
    await publish(session, RoomMessageChanged(message.id, deleted=True, written_in=written_in))
    return message


async def _own(session: AsyncSession, actor: Actor, platform: str, chat_id: str,
               platform_message_id: str) -> RoomMessage | None:
    message_id = await copy_of(session, platform, chat_id, platform_message_id)
    message = await session.get(RoomMessage, message_id) if message_id is not None else None
    if message is None or message.citizen_id != actor.citizen_id or message.deleted_at is not None:
        return None
    return message


async def copies(session: AsyncSession, message_id: int) -> list[RoomCopy]:
    return list((await session.scalars(
        select(RoomCopy).where(RoomCopy.message_id == message_id).order_by(RoomCopy.id))).all())


async def copy_of(session: AsyncSession, platform: str, chat_id: str, platform_message_id: str) -> int | None:
    """The room message a platform message is a copy of (the person's own, or one the bot posted)."""
    found = await session.scalar(select(RoomCopy.message_id).where(
        RoomCopy.platform == platform, RoomCopy.chat_id == chat_id,
        RoomCopy.platform_message_id == platform_message_id))
    return int(found) if found is not None else None


async def thread_at(session: AsyncSession, platform: str, chat_id: str, place_ref: str | None) -> RoomThread | None:
    """The thread a message written in a room belongs to: a proposal's topic or thread, or the Lobby
    (no place: the General topic, the channel's top level). None for a place that is not ours."""
    if await destination(session, platform) != chat_id:
        return None
    if place_ref is None:
        return await lobby(session)
    thread_id = await session.scalar(select(RoomPlace.thread_id).where(
        RoomPlace.platform == platform, RoomPlace.chat_id == chat_id, RoomPlace.place_ref == place_ref))
    return await session.get(RoomThread, thread_id) if thread_id is not None else None


async def destination(session: AsyncSession, platform: str) -> str | None:
    """The room chat configured on a surface, if any."""
    row = await session.get(RoomDestination, platform)
    return row.chat_id if row is not None else None


async def destinations(session: AsyncSession) -> list[RoomDestination]:
    return list((await session.scalars(select(RoomDestination).order_by(RoomDestination.platform))).all())


async def set_destination(session: AsyncSession, platform: str, chat_id: str | None) -> None:
    """What the process running a surface configured as its room (None: no room there)."""
    row = await session.get(RoomDestination, platform)
    if chat_id is None:
        if row is not None:
            await session.delete(row)
    elif row is None:
        session.add(RoomDestination(platform=platform, chat_id=chat_id))
    else:
        row.chat_id = chat_id
    await session.flush()


async def place_of(session: AsyncSession, thread_id: int, platform: str, chat_id: str) -> RoomPlace | None:
    return await session.get(RoomPlace, (thread_id, platform, chat_id))


async def remember_place(session: AsyncSession, thread_id: int, platform: str, chat_id: str,
                         place_ref: str | None) -> None:
    """A topic or root message the bot opened for a thread; a re-opened one replaces the lost one."""
    row = await place_of(session, thread_id, platform, chat_id)
    if row is None:
        session.add(RoomPlace(thread_id=thread_id, platform=platform, chat_id=chat_id, place_ref=place_ref,
                              created_at=utcnow()))
    else:
        row.place_ref = place_ref
    await session.flush()


async def parts_on(session: AsyncSession, message_id: int, platform: str, chat_id: str) -> list[RoomCopy]:
    """A message's copy on one surface, part by part, with the ids the platform gave them."""
    return list((await session.scalars(select(RoomCopy).where(
        RoomCopy.message_id == message_id, RoomCopy.platform == platform, RoomCopy.chat_id == chat_id,
        RoomCopy.platform_message_id.is_not(None)).order_by(RoomCopy.part))).all())


async def keep_parts(session: AsyncSession, message_id: int, platform: str, chat_id: str, ids: list[str]) -> None:
    """The bot's copy on one surface is now these parts (also where it replaces the person's own, deleted
    when a moderator hid it and posted by the bot when restored); fewer parts than before drop the rest."""
    rows = {row.part: row for row in (await session.scalars(select(RoomCopy).where(
        RoomCopy.message_id == message_id, RoomCopy.platform == platform, RoomCopy.chat_id == chat_id))).all()}
    for part, row in rows.items():
        if part >= len(ids):
            row.platform_message_id = None  # released first: a later part may take over its id
    await session.flush()
    for part, platform_message_id in enumerate(ids):
        known = rows.get(part)
        if known is None:
            session.add(RoomCopy(message_id=message_id, platform=platform, chat_id=chat_id, part=part,
                                 platform_message_id=platform_message_id, origin=False, created_at=utcnow()))
        else:
            known.platform_message_id, known.origin = platform_message_id, False
    await session.flush()


async def forget_copies(session: AsyncSession, message_id: int, platform: str, chat_id: str,
                        kept: frozenset[str] = frozenset()) -> None:
    """The copies on one surface were deleted, apart from `kept` (ids the platform would not let go)."""
    for row in await parts_on(session, message_id, platform, chat_id):
        if row.platform_message_id not in kept:
            row.platform_message_id = None
    await session.flush()


async def copy_on(session: AsyncSession, message_id: int, platform: str, chat_id: str) -> str | None:
    """The platform message id of a room message's first part on one surface (to reply to it there)."""
    found = await session.scalar(select(RoomCopy.platform_message_id).where(
        RoomCopy.message_id == message_id, RoomCopy.platform == platform, RoomCopy.chat_id == chat_id,
        RoomCopy.platform_message_id.is_not(None)).order_by(RoomCopy.part).limit(1))
    return str(found) if found is not None else None


async def said_between(session: AsyncSession, proposal_id: int, since: datetime, until: datetime, *,
                       not_by: int | None = None) -> int:
    """How many messages others can read in a proposal's discussion from that period (a digest's count)."""
    query = (select(func.count()).select_from(RoomMessage).join(RoomThread, RoomThread.id == RoomMessage.thread_id)
             .where(RoomThread.key == thread_key(proposal_id), RoomMessage.created_at >= since,
                    RoomMessage.created_at < until, RoomMessage.hidden_at.is_(None), RoomMessage.deleted_at.is_(None)))
    if not_by is not None:
        query = query.where(RoomMessage.citizen_id != not_by)
    return int(await session.scalar(query) or 0)
